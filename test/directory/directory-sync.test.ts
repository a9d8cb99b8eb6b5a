import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HelpdeskUser } from '../../src/calls/ports.ts';
import { type DirectorySyncOptions, syncDirectory } from '../../src/directory/directory-sync.ts';
import type { HelpdeskDirectoryPort, PbxDirectoryPort } from '../../src/directory/ports.ts';
import { AmiClient } from '../../src/pbx/ami-client.ts';
import { AmiPbxDirectory } from '../../src/pbx/pbx-directory.ts';
import { startFakePbx } from '../../src/sim/pbx/fake-pbx.ts';
import { Secret } from '../../src/util/secret.ts';
import { captureLogs } from '../support/log-capture.ts';

const ADMIN: HelpdeskUser = { id: 1, name: 'Zendesk Admin', role: 'admin', email: 'admin@example.com' };
const ANNA: HelpdeskUser = { id: 2, name: 'Anna Agent', role: 'agent', email: 'anna.agent@example.com' };
const BEN: HelpdeskUser = { id: 3, name: 'Ben Berger', role: 'agent', email: 'BEN.Berger@Example.com' };
const FRONT: HelpdeskUser = { id: 4, name: 'Front Desk', role: 'agent', email: 'frontdesk@example.com' };
const NO_EMAIL: HelpdeskUser = { id: 5, name: 'Agent Without Mail', role: 'agent', email: null };
const DEFAULT_USER: HelpdeskUser = {
  id: 9,
  name: 'Unknown caller',
  role: 'end-user',
  email: 'unknown.caller@example.com',
};

type Mailbox = Awaited<ReturnType<PbxDirectoryPort['listMailboxes']>>[number];

const LAB_MAILBOXES: Mailbox[] = [
  { extension: '101', name: 'Anna Agent', email: 'Anna.Agent@EXAMPLE.com' },
  { extension: '102', name: 'Ben Berger', email: 'ben.berger@example.com' },
  { extension: '103', name: 'Dora Neu', email: 'dora.neu@example.com' },
  { extension: '999', name: 'Front Desk', email: undefined },
];

function pbx(mailboxes: Mailbox[] = LAB_MAILBOXES, queues = ['support', 'sales']): PbxDirectoryPort {
  return {
    listMailboxes: async () => mailboxes,
    listQueues: async () => queues.map((name) => ({ name, members: [] })),
  };
}

function helpdesk(
  options: {
    agents?: HelpdeskUser[];
    groups?: Array<{ id: number; name: string }>;
    users?: HelpdeskUser[];
  } = {},
) {
  const calls = { findUserByEmail: [] as string[], createUser: [] as Array<{ name: string; email: string }> };
  const users = [...(options.users ?? [])];
  const port: HelpdeskDirectoryPort = {
    listAgents: async () => options.agents ?? [ADMIN, ANNA, BEN, FRONT, NO_EMAIL],
    listGroups: async () =>
      options.groups ?? [
        { id: 11, name: 'Support' },
        { id: 12, name: 'Sales' },
      ],
    findUserByEmail: async (email) => {
      calls.findUserByEmail.push(email);
      return users.find((u) => u.email?.toLowerCase() === email.toLowerCase());
    },
    createUser: async (user) => {
      calls.createUser.push(user);
      const created: HelpdeskUser = { id: 77, role: 'end-user', ...user };
      users.push(created);
      return created;
    },
  };
  return { port, calls };
}

async function sync(options: Partial<DirectorySyncOptions> = {}) {
  const logs = captureLogs();
  const snapshot = await syncDirectory({
    pbx: pbx(),
    helpdesk: helpdesk().port,
    queues: { support: {}, sales: {} },
    userEmails: {},
    defaultUser: undefined,
    logger: logs.logger,
    ...options,
  });
  const logged = (pattern: RegExp, level?: string) =>
    logs.records().filter((r) => pattern.test(String(r.msg)) && (!level || r.level === level));
  return { snapshot, logged };
}

const member = (iface: string, extension?: string) => ({ interface: iface, name: iface, extension });

test('PBX users ↔ agents by email, case-insensitively; the rest named at WARN', async () => {
  const { snapshot, logged } = await sync();
  assert.equal(snapshot.agentFor(member('Local/101@agents', '101')), ANNA.id);
  assert.equal(snapshot.agentFor(member('Local/102@agents', '102')), BEN.id, 'BEN.Berger@Example.com');
  assert.equal(snapshot.agentFor(member('Local/103@agents', '103')), undefined);
  assert.equal(snapshot.agentFor(member('Local/999@agents', '999')), undefined);
  assert.deepEqual(snapshot.counts, { agents: 2, groups: 2 });
  const matched = logged(/PBX users matched to Zendesk agents/, 'info')[0];
  assert.equal(matched?.matched, 2);
  assert.equal(matched?.pbxUsers, 3);
  assert.deepEqual(logged(/no Zendesk agent of that email/, 'warn')[0]?.users, [
    '103 <dora.neu@example.com>',
  ]);
  assert.deepEqual(logged(/without an email/, 'warn')[0]?.users, ['999 (Front Desk)']);
  assert.equal(logged(/sync started/, 'info').length, 1);
  assert.equal(logged(/sync finished/, 'info').length, 1);
});

test('pbx.userEmails wins over the mailbox email and covers mailboxes without one', async () => {
  const { snapshot, logged } = await sync({
    pbx: pbx([
      { extension: '101', name: 'Anna Agent', email: 'ben.berger@example.com' },
      { extension: '999', name: 'Front Desk', email: undefined },
    ]),
    userEmails: {
      '101': 'ANNA.agent@example.com',
      '999': 'frontdesk@example.com',
      '555': 'ghost@example.com',
    },
  });
  assert.equal(snapshot.agentFor(member('Local/101@agents', '101')), ANNA.id, 'the map, not the mailbox');
  assert.equal(snapshot.agentFor(member('Local/999@agents', '999')), FRONT.id);
  assert.equal(logged(/without an email/).length, 0);
  assert.deepEqual(logged(/no Zendesk agent of that email/, 'warn')[0]?.users, ['555 <ghost@example.com>']);
});

test('all-matched PBX users: no WARN at all', async () => {
  const { logged } = await sync({
    pbx: pbx([{ extension: '101', name: 'Anna Agent', email: 'anna.agent@example.com' }], ['support']),
    queues: { support: {} },
  });
  assert.deepEqual(
    logged(/./, 'warn').map((r) => r.msg),
    [],
  );
});

test('queues ↔ groups by name, case-insensitive and trimmed; an explicit group wins; misses named at WARN', async () => {
  const { snapshot, logged } = await sync({
    helpdesk: helpdesk({
      groups: [
        { id: 11, name: ' SUPPORT ' },
        { id: 12, name: 'sales' },
        { id: 13, name: 'VIP' },
        { id: 14, name: 'Premium Care' },
      ],
    }).port,
    pbx: pbx(LAB_MAILBOXES, ['support', 'sales', 'vip']),
    queues: {
      support: {},
      Sales: {},
      vip: { group: '  premium CARE ' },
      billing: {},
      hotline: { group: 'Tier 9' },
    },
  });
  assert.equal(snapshot.groupFor('support'), 11);
  assert.equal(snapshot.groupFor('Sales'), 12);
  assert.equal(snapshot.groupFor('vip'), 14, 'the explicit group, not the group named like the queue');
  assert.equal(snapshot.groupFor('billing'), undefined);
  assert.equal(snapshot.groupFor('hotline'), undefined);
  assert.deepEqual(logged(/queues with no Zendesk group of that name/, 'warn')[0]?.queues, [
    'billing → "billing"',
    'hotline → "Tier 9"',
  ]);
  assert.deepEqual(logged(/configured queues the PBX does not have/, 'warn')[0]?.queues, [
    'Sales',
    'billing',
    'hotline',
  ]);
  const matched = logged(/PBX queues matched to Zendesk groups/, 'info')[0];
  assert.equal(matched?.matched, 3);
  assert.equal(matched?.queues, 5);
});

test('default user found by email: not created again, protected', async () => {
  const zendesk = helpdesk({ users: [DEFAULT_USER] });
  const { snapshot, logged } = await sync({
    helpdesk: zendesk.port,
    defaultUser: { email: 'Unknown.Caller@example.com', name: 'Unknown caller' },
  });
  assert.deepEqual(zendesk.calls.findUserByEmail, ['Unknown.Caller@example.com']);
  assert.deepEqual(zendesk.calls.createUser, []);
  assert.equal(snapshot.defaultUserId(), DEFAULT_USER.id);
  assert.equal(snapshot.isProtectedUser(DEFAULT_USER.id), true);
  assert.equal(logged(/default user found/, 'info')[0]?.userId, DEFAULT_USER.id);
});

test('default user created when missing', async () => {
  const zendesk = helpdesk({ users: [] });
  const { snapshot, logged } = await sync({
    helpdesk: zendesk.port,
    defaultUser: { email: 'unknown.caller@example.com', name: 'Unknown caller' },
  });
  assert.deepEqual(zendesk.calls.createUser, [
    { name: 'Unknown caller', email: 'unknown.caller@example.com' },
  ]);
  assert.equal(snapshot.defaultUserId(), 77);
  assert.equal(snapshot.isProtectedUser(77), true);
  assert.equal(logged(/default user created/, 'info')[0]?.userId, 77);
});

test('no default user configured: none looked up, none known', async () => {
  const zendesk = helpdesk();
  const { snapshot } = await sync({ helpdesk: zendesk.port });
  assert.equal(snapshot.defaultUserId(), undefined);
  assert.deepEqual(zendesk.calls.findUserByEmail, []);
});

test('protected users: every agent and admin, matched or not, and the default user; never end users', async () => {
  const { snapshot } = await sync({
    helpdesk: helpdesk({ users: [DEFAULT_USER] }).port,
    defaultUser: { email: DEFAULT_USER.email!, name: DEFAULT_USER.name },
  });
  for (const user of [ADMIN, ANNA, BEN, FRONT, NO_EMAIL, DEFAULT_USER]) {
    assert.equal(snapshot.isProtectedUser(user.id), true, user.name);
  }
  assert.equal(snapshot.isProtectedUser(20), false, 'an end user');
});

test('agentFor: the extension from the member interface when the event has none', async () => {
  const { snapshot } = await sync();
  assert.equal(snapshot.agentFor(member('Local/101@agents')), ANNA.id);
  assert.equal(snapshot.agentFor(member('PJSIP/101')), ANNA.id);
  assert.equal(snapshot.agentFor(member('SIP/102')), BEN.id);
  assert.equal(
    snapshot.agentFor(member('PJSIP/102-0000002a')),
    BEN.id,
    'a channel name, not just the device',
  );
  assert.equal(snapshot.agentFor(member('PJSIP/101', '102')), BEN.id, 'the event’s extension wins');
  assert.equal(snapshot.agentFor(member('Local/103@agents')), undefined);
  assert.equal(snapshot.agentFor(member('Anna Agent')), undefined);
  assert.equal(snapshot.agentFor(member('')), undefined);
});

test('a failing Zendesk read fails the sync (the integration logs it and retries)', async () => {
  await assert.rejects(
    sync({
      helpdesk: {
        ...helpdesk().port,
        listAgents: () => Promise.reject(new Error('GET /api/v2/users: 503')),
      },
    }),
    /503/,
  );
});

test('over AMI: `Email: (null)` mailboxes are users without email; the lab matches the seed agents', async (t) => {
  const fake = await startFakePbx({ users: { bridge: 'bridge-secret' } });
  const logs = captureLogs();
  const ami = new AmiClient({
    host: '127.0.0.1',
    port: fake.port,
    username: 'bridge',
    secret: new Secret('bridge-secret', 'test'),
    logger: logs.logger,
  });
  const up = new Promise<void>((resolve) => ami.onUp(resolve));
  ami.start();
  // Hooks run last-registered-last: log off before the PBX goes away, or the client reconnects.
  t.after(() => ami.stop().then(() => fake.close()));
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    up,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error('no AMI login within 3 s')), 3_000);
    }),
  ]).finally(() => clearTimeout(timer));
  const directory = new AmiPbxDirectory(ami);
  const mailboxes = await directory.listMailboxes();
  assert.deepEqual(
    mailboxes.find((m) => m.extension === '999'),
    { extension: '999', name: 'Front Desk', email: undefined },
  );
  const { snapshot, logged } = await sync({
    pbx: directory,
    helpdesk: helpdesk({
      agents: [ANNA, BEN, { id: 6, name: 'Carla Sales', role: 'agent', email: 'carla.sales@example.com' }],
    }).port,
  });
  assert.deepEqual(logged(/without an email/, 'warn')[0]?.users, ['999 (Front Desk)']);
  assert.equal(logged(/no Zendesk agent of that email/).length, 0, '(null) is not taken for an address');
  assert.equal(snapshot.agentFor(member('Local/201@agents')), 6);
  assert.equal(logged(/configured queues the PBX does not have/).length, 0);
});
