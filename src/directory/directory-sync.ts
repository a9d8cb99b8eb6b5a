import type { Logger } from '../log/logger.ts';
import { DirectorySnapshot } from './directory-snapshot.ts';
import type { HelpdeskDirectoryPort, PbxDirectoryPort } from './ports.ts';

export interface DirectorySyncOptions {
  pbx: PbxDirectoryPort;
  helpdesk: HelpdeskDirectoryPort;
  /** The profile's queues, each optionally with an explicit Zendesk group name. */
  queues: Record<string, { group?: string | undefined }>;
  /** Extension → email, for PBXs without voicemail emails; wins over the mailbox's email. */
  userEmails: Record<string, string>;
  defaultUser: { email: string; name: string } | undefined;
  logger: Logger;
}

const norm = (text: string) => text.trim().toLowerCase();

/**
 * The start-up sync: PBX users ↔ Zendesk agents by email, queues ↔ groups by name, the default
 * user found or created. Progress at INFO; whatever did not match, by name at WARN.
 */
export async function syncDirectory(options: DirectorySyncOptions): Promise<DirectorySnapshot> {
  const log = options.logger.child('sync');
  log.info('sync started');

  const [mailboxes, agents] = await Promise.all([options.pbx.listMailboxes(), options.helpdesk.listAgents()]);
  const agentByEmail = new Map(agents.filter((a) => a.email).map((a) => [norm(a.email!), a.id]));
  const emailByExtension = new Map<string, string>();
  for (const box of mailboxes) if (box.email) emailByExtension.set(box.extension, box.email);
  for (const [extension, email] of Object.entries(options.userEmails)) emailByExtension.set(extension, email);
  const agentByExtension = new Map<string, number>();
  const unmatchedUsers: string[] = [];
  for (const [extension, email] of emailByExtension) {
    const agentId = agentByEmail.get(norm(email));
    if (agentId === undefined) unmatchedUsers.push(`${extension} <${email}>`);
    else agentByExtension.set(extension, agentId);
  }
  const withoutEmail = mailboxes
    .filter((b) => !emailByExtension.has(b.extension))
    .map((b) => `${b.extension} (${b.name})`);
  log.info('PBX users matched to Zendesk agents', {
    matched: agentByExtension.size,
    pbxUsers: emailByExtension.size,
  });
  if (unmatchedUsers.length > 0)
    log.warn('PBX users with no Zendesk agent of that email', { users: unmatchedUsers });
  if (withoutEmail.length > 0)
    log.warn('PBX users without an email (map them in pbx.userEmails)', { users: withoutEmail });

  const [pbxQueues, groups] = await Promise.all([options.pbx.listQueues(), options.helpdesk.listGroups()]);
  const groupByName = new Map(groups.map((g) => [norm(g.name), g.id]));
  const pbxQueueNames = new Set(pbxQueues.map((q) => q.name));
  const groupByQueue = new Map<string, number>();
  const unmatchedQueues: string[] = [];
  for (const [queue, settings] of Object.entries(options.queues)) {
    const wanted = settings.group ?? queue;
    const groupId = groupByName.get(norm(wanted));
    if (groupId === undefined) unmatchedQueues.push(`${queue} → "${wanted}"`);
    else groupByQueue.set(queue, groupId);
  }
  const missingOnPbx = Object.keys(options.queues).filter((q) => !pbxQueueNames.has(q));
  log.info('PBX queues matched to Zendesk groups', {
    matched: groupByQueue.size,
    queues: Object.keys(options.queues).length,
  });
  if (unmatchedQueues.length > 0)
    log.warn('queues with no Zendesk group of that name', { queues: unmatchedQueues });
  if (missingOnPbx.length > 0) log.warn('configured queues the PBX does not have', { queues: missingOnPbx });

  let defaultUserId: number | undefined;
  if (options.defaultUser) {
    const found = await options.helpdesk.findUserByEmail(options.defaultUser.email);
    const user = found ?? (await options.helpdesk.createUser(options.defaultUser));
    defaultUserId = user.id;
    log.info(found ? 'default user found' : 'default user created', { userId: user.id });
  }

  log.info('sync finished; call handling on');
  return new DirectorySnapshot({
    agentByExtension,
    groupByQueue,
    agentIds: agents.map((a) => a.id),
    defaultUserId,
    unmatched: { users: unmatchedUsers, withoutEmail, queues: unmatchedQueues, missingOnPbx },
  });
}
