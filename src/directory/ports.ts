import type { HelpdeskUser } from '../calls/ports.ts';

/** What the PBX tells the sync (VoicemailUsersList, QueueStatus). */
export interface PbxDirectoryPort {
  listMailboxes(): Promise<Array<{ extension: string; name: string; email: string | undefined }>>;
  listQueues(): Promise<Array<{ name: string; members: Array<{ interface: string; name: string }> }>>;
}

/** What Zendesk tells the sync. */
export interface HelpdeskDirectoryPort {
  /** Every agent and admin (all pages). */
  listAgents(): Promise<HelpdeskUser[]>;
  listGroups(): Promise<Array<{ id: number; name: string }>>;
  findUserByEmail(email: string): Promise<HelpdeskUser | undefined>;
  createUser(user: { name: string; email: string }): Promise<HelpdeskUser>;
}
