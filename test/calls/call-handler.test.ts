import assert from 'node:assert/strict';
import { test } from 'node:test';
import Keyv from 'keyv';
import { CallHandler, type CallHandlerOptions } from '../../src/calls/call-handler.ts';
import { CallerLookup } from '../../src/calls/caller-lookup.ts';
import type { CallAbandoned, CallAnswered, CallEnded, CallQueued } from '../../src/calls/events.ts';
import type {
  BatchComment,
  CommentOutcome,
  CreatedTicket,
  Directory,
  HelpdeskPort,
  HelpdeskUser,
  NewCallTicket,
  TicketAfterCall,
  UploadSource,
} from '../../src/calls/ports.ts';
import { captureLogs } from '../support/log-capture.ts';

// The domain with plain objects: an in-memory helpdesk, a directory of constants, a real
// CallerLookup over an in-memory Keyv. No HTTP, no AMI.

const ADMIN = 1;
const ANNA = 2;
const BEN = 3;
/** An agent created in Zendesk after the last sync: not in the directory's protected set. */
const LATE_AGENT = 4;
const DEFAULT_USER = 9;
const ERIKA = 20;
const HANS = 21;
const OTTO = 22;
const MAX = 23;
const MARIA = 24;
const SUPPORT_GROUP = 11;
const SALES_GROUP = 12;

const ERIKA_NUMBER = '+4930123456';
const UNKNOWN_NUMBER = '+4915112345678';

type StoredUser = HelpdeskUser & { phones: string[] };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, what: string, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Zendesk as the domain sees it, in memory, recording every call made to it. */
class MemoryHelpdesk implements HelpdeskPort {
  readonly users = new Map<number, StoredUser>();
  readonly searches: string[] = [];
  readonly tickets: Array<NewCallTicket & { id: number }> = [];
  readonly comments: Array<{ ticketId: number; body: string; uploads: readonly string[] }> = [];
  readonly uploads: UploadSource[] = [];
  readonly createdUsers: Array<{ name: string; phone: string }> = [];
  readonly userReads: number[] = [];
  readonly identitiesAdded: Array<[number, string]> = [];
  /** Ticket id → requester as it is now (the agent may change it). */
  readonly #requesterOf = new Map<number, number>();
  searchDelayMs = 0;
  ticketDelayMs = 0;
  /** addPrivateComment never answers (a hung Zendesk). */
  hangComments = false;
  #nextUser = 500;
  #nextTicket = 1;

  add(user: Omit<StoredUser, 'id'> & { id?: number }): StoredUser {
    const stored = { ...user, id: user.id ?? this.#nextUser++ };
    this.users.set(stored.id, stored);
    return stored;
  }

  async findUsersByPhone(e164: string): Promise<HelpdeskUser[]> {
    this.searches.push(e164);
    // The index answers as of the request: users created meanwhile are not in it (search lag).
    const found = [...this.users.values()]
      .filter((u) => u.phones.includes(e164))
      .map(({ phones: _phones, ...user }) => user);
    await sleep(this.searchDelayMs);
    return found;
  }

  async findCallTicket(callId: string): Promise<{ id: number; requesterId: number } | undefined> {
    const ticket = this.tickets.find((t) => t.callId === callId);
    return ticket ? { id: ticket.id, requesterId: this.#requesterOf.get(ticket.id)! } : undefined;
  }

  async openCallTicket(ticket: NewCallTicket): Promise<CreatedTicket> {
    await sleep(this.ticketDelayMs);
    const id = this.#nextTicket++;
    this.tickets.push({ ...ticket, id });
    this.#requesterOf.set(id, ticket.requesterId);
    return { id, popped: ticket.popToAgentId !== undefined };
  }

  async createEndUser(user: { name: string; phone: string }): Promise<HelpdeskUser> {
    this.createdUsers.push(user);
    const { phones: _phones, ...created } = this.add({
      name: user.name,
      role: 'end-user',
      phones: [user.phone],
    });
    return created;
  }

  async addPrivateComment(
    ticketId: number,
    body: string,
    uploads: readonly string[] = [],
  ): Promise<TicketAfterCall> {
    this.comments.push({ ticketId, body, uploads });
    if (this.hangComments) return new Promise<TicketAfterCall>(() => {});
    return { id: ticketId, requesterId: this.#requesterOf.get(ticketId)! };
  }

  async addPrivateComments(batch: readonly BatchComment[]): Promise<CommentOutcome[]> {
    const saved = await Promise.all(batch.map((c) => this.addPrivateComment(c.ticketId, c.body, c.uploads)));
    return saved.map((t) => ({ ticketId: t.id, saved: true }));
  }

  async ticketsAfterCall(ids: readonly number[]): Promise<TicketAfterCall[]> {
    return ids.map((id) => ({ id, requesterId: this.#requesterOf.get(id)! }));
  }

  async uploadFile(file: UploadSource): Promise<string> {
    this.uploads.push(file);
    return `upload-${this.uploads.length}`;
  }

  async getUser(userId: number): Promise<StoredUser> {
    this.userReads.push(userId);
    const user = this.users.get(userId);
    if (!user) throw new Error(`no user ${userId}`);
    return { ...user, phones: [...user.phones] };
  }

  async addPhoneIdentity(userId: number, e164: string): Promise<void> {
    this.identitiesAdded.push([userId, e164]);
    this.users.get(userId)!.phones.push(e164);
  }

  /** The agent changes the ticket's requester in Zendesk. */
  reassign(ticketId: number, userId: number): void {
    this.#requesterOf.set(ticketId, userId);
  }
}

function seededHelpdesk(): MemoryHelpdesk {
  const helpdesk = new MemoryHelpdesk();
  helpdesk.add({ id: ADMIN, name: 'Zendesk Admin', role: 'admin', phones: [] });
  helpdesk.add({ id: ANNA, name: 'Anna Agent', role: 'agent', phones: [] });
  helpdesk.add({ id: BEN, name: 'Ben Berger', role: 'agent', phones: [] });
  helpdesk.add({ id: LATE_AGENT, name: 'Lena Late', role: 'agent', phones: [] });
  helpdesk.add({ id: DEFAULT_USER, name: 'Unknown caller', role: 'end-user', phones: [] });
  helpdesk.add({ id: ERIKA, name: 'Erika Mustermann', role: 'end-user', phones: [ERIKA_NUMBER] });
  helpdesk.add({ id: HANS, name: 'Hans Lokal', role: 'end-user', phones: [] });
  helpdesk.add({ id: OTTO, name: 'Otto Normal', role: 'end-user', phones: ['+4922133344'] });
  helpdesk.add({ id: MAX, name: 'Max Mustermann', role: 'end-user', phones: ['+49405550000'] });
  helpdesk.add({ id: MARIA, name: 'Maria Mustermann', role: 'end-user', phones: ['+49405550000'] });
  return helpdesk;
}

const directory: Directory = {
  agentFor: (member) => ({ '101': ANNA, '102': BEN })[member.extension ?? ''],
  groupFor: (queue) => ({ support: SUPPORT_GROUP, sales: SALES_GROUP })[queue],
  defaultUserId: () => DEFAULT_USER,
  isProtectedUser: (id) => [ADMIN, ANNA, BEN, DEFAULT_USER].includes(id),
};

interface Setup {
  helpdesk: MemoryHelpdesk;
  lookup: CallerLookup;
  handler: CallHandler;
  logged(pattern: RegExp, level?: string): Array<Record<string, unknown>>;
}

function setup(
  t: { after(fn: () => unknown): void },
  options: Partial<CallHandlerOptions> & { helpdesk?: MemoryHelpdesk } = {},
): Setup {
  const logs = captureLogs();
  const helpdesk = options.helpdesk ?? seededHelpdesk();
  const lookup = new CallerLookup({
    helpdesk,
    cache: new Keyv(),
    positiveTtlMs: 60_000,
    negativeTtlMs: 10_000,
    logger: logs.logger,
  });
  const handler = new CallHandler({
    helpdesk,
    lookup,
    directory,
    queues: new Set(['support', 'sales']),
    defaultCountry: 'DE',
    strategy: 'defaultUser',
    answerWaitMs: 1_000,
    wrapUpSeconds: 0,
    templates: { subject: 'Call from {callerNumber}', comment: 'Answered by {agent}', tags: ['cti'] },
    logger: logs.logger,
    ...options,
  });
  // Whatever a test leaves behind (wrap-up timers, tickets in flight) ends with it.
  t.after(() => handler.stop(Date.now() + 50));
  return {
    helpdesk,
    lookup,
    handler,
    logged: (pattern, level) =>
      logs.records().filter((r) => pattern.test(String(r.msg)) && (!level || r.level === level)),
  };
}

let seq = 0;
const newCallId = () => `1700000000.${++seq}`;
const T0 = Date.UTC(2025, 2, 14, 9, 30, 0);

const ANNA_MEMBER = { interface: 'Local/101@agents', name: 'Anna Agent', extension: '101' };

function queued(callId: string, num: string, name = '', queue = 'support'): CallQueued {
  return { type: 'CallQueued', callId, queue, caller: { num, name }, at: T0 };
}

function answered(
  callId: string,
  num: string,
  options: { name?: string; queue?: string; agent?: CallAnswered['agent']; at?: number } = {},
): CallAnswered {
  return {
    type: 'CallAnswered',
    callId,
    queue: options.queue ?? 'support',
    caller: { num, name: options.name ?? '' },
    agent: options.agent ?? ANNA_MEMBER,
    channel: 'Local/s@inbound-support-00000001;2',
    holdSec: 4,
    at: options.at ?? T0 + 4_000,
  };
}

function ended(callId: string, queue = 'support'): CallEnded {
  return { type: 'CallEnded', callId, queue, reason: 'agent', holdSec: 4, talkSec: 75, at: T0 + 79_000 };
}

function abandoned(callId: string, queue = 'support'): CallAbandoned {
  return { type: 'CallAbandoned', callId, queue, holdSec: 12, at: T0 + 12_000 };
}

/** A whole answered call; resolves once its ticket exists. */
async function answeredCall(s: Setup, num: string, options: { end?: boolean } = {}) {
  const callId = newCallId();
  const before = s.helpdesk.tickets.length;
  s.handler.handle(queued(callId, num));
  s.handler.handle(answered(callId, num));
  await until(() => s.helpdesk.tickets.length > before, 'the ticket');
  const ticket = s.helpdesk.tickets.find((tk) => tk.callId === callId)!;
  if (options.end !== false) s.handler.handle(ended(callId));
  return { callId, ticket };
}

// --- the state machine per call ---------------------------------------------------------------

test('queued → answered → ended → wrap-up: looked up on entry, ticket on answer, facts after wrap-up time', async (t) => {
  const s = setup(t, { wrapUpSeconds: 0.15 });
  const callId = newCallId();
  s.handler.handle(queued(callId, ERIKA_NUMBER, 'Erika Mustermann'));
  assert.equal(s.handler.activeCalls, 1);
  await until(() => s.helpdesk.searches.length === 1, 'the search on queue entry, before any answer');
  assert.deepEqual(s.helpdesk.searches, [ERIKA_NUMBER]);
  s.handler.handle(answered(callId, ERIKA_NUMBER, { name: 'Erika Mustermann' }));
  await until(() => s.helpdesk.tickets.length === 1, 'the ticket');
  const ticket = s.helpdesk.tickets[0]!;
  assert.equal(ticket.callId, callId);
  assert.equal(ticket.requesterId, ERIKA);
  assert.equal(ticket.assigneeId, ANNA);
  assert.equal(ticket.popToAgentId, ANNA);
  assert.equal(ticket.groupId, SUPPORT_GROUP);
  assert.deepEqual(ticket.tags, ['cti']);
  assert.deepEqual(ticket.call, { from: ERIKA_NUMBER, queue: 'support', startedAt: T0 + 4_000 });
  assert.deepEqual(s.helpdesk.searches, [ERIKA_NUMBER], 'the answer used the lookup made on entry');

  s.handler.handle(ended(callId));
  await sleep(60);
  assert.equal(s.helpdesk.comments.length, 0, 'nothing before the wrap-up time is over');
  assert.equal(s.handler.activeCalls, 1, 'the call is tracked through its wrap-up time');
  await until(() => s.helpdesk.comments.length === 1, 'the call facts');
  const facts = s.helpdesk.comments[0]!;
  assert.equal(facts.ticketId, ticket.id);
  assert.match(facts.body, /Caller: \+4930123456/);
  assert.match(facts.body, /Queue: support/);
  assert.match(facts.body, /Agent: Anna Agent/);
  assert.match(facts.body, /Waited: 4 s/);
  assert.match(facts.body, /Talked: 1 min 15 s/);
  assert.match(facts.body, /Ended by: agent/);
  await until(() => s.handler.activeCalls === 0, 'the call to be forgotten');
  assert.deepEqual(s.helpdesk.identitiesAdded, [], 'a known caller needs no backfill');
  assert.equal(s.logged(/ticket created and opened/)[0]?.requester, 'caller');
});

test('queued → abandoned: no ticket, no wrap-up, and the lookup stays cached for the call back', async (t) => {
  const s = setup(t);
  const callId = newCallId();
  s.handler.handle(queued(callId, UNKNOWN_NUMBER));
  await sleep(20);
  s.handler.handle(abandoned(callId));
  assert.equal(s.handler.activeCalls, 0);
  // A CallEnded that still arrives for it changes nothing.
  s.handler.handle(ended(callId));
  await s.handler.stop(Date.now() + 1_000);
  assert.equal(s.helpdesk.tickets.length, 0);
  assert.equal(s.helpdesk.comments.length, 0);
  assert.equal(s.logged(/caller abandoned in queue/)[0]?.callId, callId);

  const again = setup(t, { helpdesk: s.helpdesk, lookup: s.lookup });
  const callBack = newCallId();
  again.handler.handle(queued(callBack, UNKNOWN_NUMBER));
  again.handler.handle(answered(callBack, UNKNOWN_NUMBER));
  await until(() => s.helpdesk.tickets.length === 1, 'the call back ticket');
  assert.equal(s.helpdesk.tickets[0]?.requesterId, DEFAULT_USER);
  assert.deepEqual(s.helpdesk.searches, [UNKNOWN_NUMBER], 'the call back was answered from the cache');
});

test('answered without a CallQueued (daemon started mid-call): ticket from the answer’s caller fields', async (t) => {
  const s = setup(t);
  const callId = newCallId();
  s.handler.handle(answered(callId, '030123456', { name: 'Erika Mustermann' }));
  await until(() => s.helpdesk.tickets.length === 1, 'the ticket');
  const ticket = s.helpdesk.tickets[0]!;
  assert.deepEqual(s.helpdesk.searches, [ERIKA_NUMBER], 'looked up at answer, normalised with the country');
  assert.equal(ticket.requesterId, ERIKA);
  assert.equal(ticket.assigneeId, ANNA);
  assert.equal(ticket.call.from, ERIKA_NUMBER);
  s.handler.handle(ended(callId));
  await until(() => s.helpdesk.comments.length === 1, 'the call facts');
});

test('a duplicate CallAnswered makes no second ticket, in flight or after', async (t) => {
  const s = setup(t);
  s.helpdesk.ticketDelayMs = 30;
  const callId = newCallId();
  s.handler.handle(queued(callId, ERIKA_NUMBER));
  s.handler.handle(answered(callId, ERIKA_NUMBER));
  s.handler.handle(answered(callId, ERIKA_NUMBER));
  await until(() => s.helpdesk.tickets.length === 1, 'the ticket');
  s.handler.handle(answered(callId, ERIKA_NUMBER, { agent: { ...ANNA_MEMBER, extension: '102' } }));
  await s.handler.stop(Date.now() + 1_000);
  assert.equal(s.helpdesk.tickets.length, 1);
  assert.equal(s.helpdesk.tickets[0]?.assigneeId, ANNA, 'the first answer decided');
  assert.deepEqual(s.helpdesk.searches, [ERIKA_NUMBER]);
});

test('CallEnded twice runs one wrap-up', async (t) => {
  const s = setup(t, { wrapUpSeconds: 0.03 });
  const { callId, ticket } = await answeredCall(s, ERIKA_NUMBER, { end: false });
  s.handler.handle(ended(callId));
  s.handler.handle(ended(callId));
  await until(() => s.helpdesk.comments.length === 1, 'the call facts');
  s.handler.handle(ended(callId));
  await sleep(100);
  assert.deepEqual(
    s.helpdesk.comments.map((c) => c.ticketId),
    [ticket.id],
  );
  assert.equal(s.handler.activeCalls, 0);
});

test('events of a queue the profile does not handle are ignored', async (t) => {
  const s = setup(t);
  const callId = newCallId();
  s.handler.handle(queued(callId, ERIKA_NUMBER, '', 'billing'));
  s.handler.handle(answered(callId, ERIKA_NUMBER, { queue: 'billing' }));
  s.handler.handle(ended(callId, 'billing'));
  s.handler.handle(abandoned(newCallId(), 'billing'));
  assert.equal(s.handler.activeCalls, 0);
  await s.handler.stop(Date.now() + 1_000);
  assert.deepEqual(s.helpdesk.searches, []);
  assert.equal(s.helpdesk.tickets.length, 0);
  assert.equal(s.logged(/which this profile does not handle/, 'debug').length, 4);
});

// --- the wait bound ---------------------------------------------------------------------------

test('a lookup slower than answerWaitMs: default user, WARN, and the ticket does not wait for it', async (t) => {
  const s = setup(t, { answerWaitMs: 40 });
  s.helpdesk.searchDelayMs = 800;
  const callId = newCallId();
  s.handler.handle(queued(callId, ERIKA_NUMBER));
  const answeredAt = Date.now();
  s.handler.handle(answered(callId, ERIKA_NUMBER));
  await until(() => s.helpdesk.tickets.length === 1, 'the ticket');
  assert.ok(Date.now() - answeredAt < 500, `the ticket waited ${Date.now() - answeredAt} ms`);
  assert.equal(s.helpdesk.tickets[0]?.requesterId, DEFAULT_USER);
  const warn = s.logged(/caller lookup still running at answer/, 'warn');
  assert.equal(warn.length, 1);
  assert.equal(warn[0]?.callId, callId);
  assert.equal(warn[0]?.waitedMs, 40);
});

test('a lookup that resolves within answerWaitMs: the answer waits for it and the caller is the requester', async (t) => {
  const s = setup(t, { answerWaitMs: 1_000 });
  s.helpdesk.searchDelayMs = 60;
  const callId = newCallId();
  s.handler.handle(queued(callId, ERIKA_NUMBER));
  s.handler.handle(answered(callId, ERIKA_NUMBER));
  await until(() => s.helpdesk.tickets.length === 1, 'the ticket');
  assert.equal(s.helpdesk.tickets[0]?.requesterId, ERIKA);
  assert.equal(s.logged(/still running at answer/).length, 0);
});

// --- requester strategies ---------------------------------------------------------------------

test('defaultUser: unknown, ambiguous, withheld and missing callers get the default user', async (t) => {
  const s = setup(t);
  const callers = [UNKNOWN_NUMBER, '+49405550000', 'anonymous', '<unknown>'];
  for (const num of callers) await answeredCall(s, num);
  assert.deepEqual(
    s.helpdesk.tickets.map((tk) => tk.requesterId),
    callers.map(() => DEFAULT_USER),
  );
  assert.deepEqual(s.helpdesk.searches, [UNKNOWN_NUMBER, '+49405550000'], 'only real numbers searched');
  assert.deepEqual(s.helpdesk.createdUsers, []);
});

test('newUser: an unknown caller gets a user named after the number, found again from the cache', async (t) => {
  const s = setup(t, { strategy: 'newUser' });
  const first = await answeredCall(s, '0151 12345678');
  assert.deepEqual(s.helpdesk.createdUsers, [{ name: `Caller ${UNKNOWN_NUMBER}`, phone: UNKNOWN_NUMBER }]);
  const created = [...s.helpdesk.users.values()].find((u) => u.name === `Caller ${UNKNOWN_NUMBER}`)!;
  assert.equal(first.ticket.requesterId, created.id);
  assert.equal(s.logged(/ticket created/)[0]?.requester, 'new user');

  const second = await answeredCall(s, UNKNOWN_NUMBER);
  assert.equal(second.ticket.requesterId, created.id);
  assert.equal(s.helpdesk.createdUsers.length, 1, 'no second user');
  assert.deepEqual(s.helpdesk.searches, [UNKNOWN_NUMBER], 'the second call came from the cache');
});

test('newUser never creates a third user on a shared number or a duplicate after a failed search', async (t) => {
  const s = setup(t, { strategy: 'newUser' });
  s.helpdesk.add({ name: 'Max', role: 'end-user', phones: ['+49405550000'] });
  s.helpdesk.add({ name: 'Maria', role: 'end-user', phones: ['+49405550000'] });
  const shared = await answeredCall(s, '+49405550000');
  assert.equal(shared.ticket.requesterId, DEFAULT_USER);
  s.helpdesk.findUsersByPhone = async () => {
    throw new Error('503 from Zendesk');
  };
  const failed = await answeredCall(s, '+4917600000009');
  assert.equal(failed.ticket.requesterId, DEFAULT_USER);
  assert.deepEqual(s.helpdesk.createdUsers, []);
});

test('newUser with a withheld or missing number: default user, nobody created', async (t) => {
  const s = setup(t, { strategy: 'newUser' });
  await answeredCall(s, 'anonymous');
  await answeredCall(s, '<unknown>');
  assert.deepEqual(
    s.helpdesk.tickets.map((tk) => tk.requesterId),
    [DEFAULT_USER, DEFAULT_USER],
  );
  assert.deepEqual(s.helpdesk.createdUsers, []);
  assert.deepEqual(s.helpdesk.searches, []);
});

test('newUser: a user created while a slow lookup still runs survives that lookup’s "not found"', async (t) => {
  const s = setup(t, { strategy: 'newUser', answerWaitMs: 30 });
  s.helpdesk.searchDelayMs = 150;
  const first = await answeredCall(s, UNKNOWN_NUMBER);
  assert.equal(s.helpdesk.createdUsers.length, 1);
  // The slow search (which cannot know the new user) ends after the ticket was made.
  await until(() => s.logged(/caller looked up/).length === 1, 'the slow lookup to end');
  s.helpdesk.searchDelayMs = 0;
  const second = await answeredCall(s, UNKNOWN_NUMBER);
  assert.equal(second.ticket.requesterId, first.ticket.requesterId, 'the second call found the created user');
  assert.equal(s.helpdesk.createdUsers.length, 1, 'no duplicate user');
});

// --- the backfill -----------------------------------------------------------------------------

test('backfill: default user re-assigned to an end user → the number is added and learnt', async (t) => {
  const s = setup(t);
  const { callId, ticket } = await answeredCall(s, UNKNOWN_NUMBER, { end: false });
  assert.equal(ticket.requesterId, DEFAULT_USER);
  s.helpdesk.reassign(ticket.id, HANS);
  s.handler.handle(ended(callId));
  await until(() => s.helpdesk.identitiesAdded.length === 1, 'the backfill');
  assert.deepEqual(s.helpdesk.identitiesAdded, [[HANS, UNKNOWN_NUMBER]]);
  assert.equal(s.logged(/number added to the customer/)[0]?.userId, HANS);
  // Zendesk's search would lag; the cache knows Hans at once.
  const next = await answeredCall(s, UNKNOWN_NUMBER);
  assert.equal(next.ticket.requesterId, HANS);
  assert.deepEqual(s.helpdesk.searches, [UNKNOWN_NUMBER]);
});

test('backfill: a user the bridge created, re-assigned to an end user → the number is added', async (t) => {
  const s = setup(t, { strategy: 'newUser' });
  const { callId, ticket } = await answeredCall(s, UNKNOWN_NUMBER, { end: false });
  assert.notEqual(ticket.requesterId, DEFAULT_USER);
  s.helpdesk.reassign(ticket.id, OTTO);
  s.handler.handle(ended(callId));
  await until(() => s.helpdesk.identitiesAdded.length === 1, 'the backfill');
  assert.deepEqual(s.helpdesk.identitiesAdded, [[OTTO, UNKNOWN_NUMBER]]);
});

/** Runs one call whose requester the agent changes to `to`; resolves after its wrap-up. */
async function reassignedCall(s: Setup, num: string, to: number | undefined) {
  const { callId, ticket } = await answeredCall(s, num, { end: false });
  if (to !== undefined) s.helpdesk.reassign(ticket.id, to);
  s.handler.handle(ended(callId));
  await until(() => s.helpdesk.comments.some((c) => c.ticketId === ticket.id), 'the call facts');
  await s.handler.stop(Date.now() + 1_000);
  return ticket;
}

test('backfill: never when the requester was the recognised caller', async (t) => {
  const s = setup(t);
  const ticket = await reassignedCall(s, ERIKA_NUMBER, HANS);
  assert.equal(ticket.requesterId, ERIKA);
  assert.deepEqual(s.helpdesk.identitiesAdded, []);
  assert.deepEqual(s.helpdesk.userReads, []);
});

for (const [who, id] of [
  ['an agent', ANNA],
  ['an admin', ADMIN],
  ['the default user', DEFAULT_USER],
] as const) {
  test(`backfill: never to ${who} (protected), said at INFO`, async (t) => {
    const s = setup(t, { strategy: 'newUser' });
    const ticket = await reassignedCall(s, UNKNOWN_NUMBER, id);
    assert.notEqual(ticket.requesterId, id);
    assert.deepEqual(s.helpdesk.identitiesAdded, []);
    assert.deepEqual(s.helpdesk.userReads, [], 'not even read');
    assert.equal(s.logged(/re-assigned to an agent or the default user/, 'info')[0]?.userId, id);
  });
}

test('backfill: never to an agent the last sync did not know (role checked on the user)', async (t) => {
  const s = setup(t);
  await reassignedCall(s, UNKNOWN_NUMBER, LATE_AGENT);
  assert.deepEqual(s.helpdesk.userReads, [LATE_AGENT]);
  assert.deepEqual(s.helpdesk.identitiesAdded, []);
});

test('backfill: nothing when the agent left the requester as it was', async (t) => {
  const s = setup(t);
  await reassignedCall(s, UNKNOWN_NUMBER, undefined);
  assert.deepEqual(s.helpdesk.userReads, []);
  assert.deepEqual(s.helpdesk.identitiesAdded, []);
});

test('backfill: no identity when the chosen user already has the number, but the cache learns it', async (t) => {
  const s = setup(t);
  const number = '+4917612345678';
  const helga = s.helpdesk.add({ name: 'Helga Hasnummer', role: 'end-user', phones: [] });
  const { callId, ticket } = await answeredCall(s, number, { end: false });
  assert.equal(ticket.requesterId, DEFAULT_USER);
  helga.phones.push(number); // a colleague typed it in during the call
  s.helpdesk.reassign(ticket.id, helga.id);
  s.handler.handle(ended(callId));
  await until(() => s.helpdesk.userReads.length === 1, 'the user read');
  await s.handler.stop(Date.now() + 1_000);
  assert.deepEqual(s.helpdesk.identitiesAdded, []);
  const next = await s.lookup.lookup(number, 'next-call');
  assert.deepEqual(next, { kind: 'known', userId: helga.id, name: 'Helga Hasnummer', cached: true });
  assert.deepEqual(s.helpdesk.searches, [number]);
});

test('backfill: nothing for a withheld number', async (t) => {
  const s = setup(t);
  await reassignedCall(s, 'anonymous', HANS);
  assert.deepEqual(s.helpdesk.userReads, []);
  assert.deepEqual(s.helpdesk.identitiesAdded, []);
});

// --- stop(deadline) ---------------------------------------------------------------------------

test('stop runs pending wrap-ups at once instead of after the wrap-up time', async (t) => {
  const s = setup(t, { wrapUpSeconds: 60 });
  const { ticket } = await answeredCall(s, UNKNOWN_NUMBER);
  assert.equal(s.helpdesk.comments.length, 0);
  const started = Date.now();
  await s.handler.stop(Date.now() + 2_000);
  assert.ok(Date.now() - started < 500, `stop took ${Date.now() - started} ms`);
  assert.deepEqual(
    s.helpdesk.comments.map((c) => c.ticketId),
    [ticket.id],
  );
  assert.equal(s.handler.activeCalls, 0);
  assert.equal(s.logged(/stopped with call work still running/).length, 0);
});

test('stop returns by the deadline even when the helpdesk hangs, and takes no new calls', async (t) => {
  const s = setup(t, { wrapUpSeconds: 60 });
  s.helpdesk.hangComments = true;
  await answeredCall(s, UNKNOWN_NUMBER);
  const started = Date.now();
  await s.handler.stop(started + 150);
  const took = Date.now() - started;
  assert.ok(took >= 140 && took < 600, `stop took ${took} ms`);
  assert.equal(s.helpdesk.comments.length, 1, 'the wrap-up was started');
  assert.equal(s.logged(/stopped with call work still running/, 'warn')[0]?.pending, 1);

  const later = newCallId();
  s.handler.handle(queued(later, ERIKA_NUMBER));
  s.handler.handle(answered(later, ERIKA_NUMBER));
  await sleep(30);
  assert.equal(s.helpdesk.tickets.length, 1);
  assert.deepEqual(s.helpdesk.searches, [UNKNOWN_NUMBER]);
});

test('a call that ends while the handler stops gets its wrap-up at once, not after the wrap-up time', async (t) => {
  const s = setup(t, { wrapUpSeconds: 60 });
  s.helpdesk.ticketDelayMs = 80;
  const callId = newCallId();
  s.handler.handle(queued(callId, UNKNOWN_NUMBER));
  s.handler.handle(answered(callId, UNKNOWN_NUMBER));
  await sleep(20);
  const stopping = s.handler.stop(Date.now() + 2_000);
  // AMI events keep coming while the integration waits for the ticket in flight.
  s.handler.handle(ended(callId));
  await stopping;
  assert.equal(s.helpdesk.tickets.length, 1, 'the ticket in flight was finished');
  await until(() => s.helpdesk.comments.length === 1, 'the call facts', 500);
  assert.equal(s.handler.activeCalls, 0);
});

// --- ticket texts and idempotency -------------------------------------------------------------

test('templates: {callerNumber} {callerName} {queue} {agent} {time} rendered, unknown placeholders kept', async (t) => {
  const s = setup(t, {
    templates: {
      subject: '{callerName} ({callerNumber}) in {queue}',
      comment: 'Answered by {agent} at {time}. {nonsense}',
      tags: ['phone', 'cti-bridge'],
    },
  });
  const callId = newCallId();
  const at = Date.UTC(2025, 2, 14, 9, 31, 7);
  s.handler.handle(queued(callId, '030 123456', 'Erika Mustermann', 'sales'));
  s.handler.handle(answered(callId, '030 123456', { name: 'Erika Mustermann', queue: 'sales', at }));
  const withheld = newCallId();
  s.handler.handle(answered(withheld, 'anonymous', { name: '<unknown>', at }));
  await until(() => s.helpdesk.tickets.length === 2, 'the tickets');
  const byCall = (id: string) => s.helpdesk.tickets.find((tk) => tk.callId === id)!;
  assert.equal(byCall(callId).subject, 'Erika Mustermann (+4930123456) in sales');
  assert.equal(byCall(callId).comment, 'Answered by Anna Agent at 2025-03-14T09:31:07.000Z. {nonsense}');
  assert.deepEqual(byCall(callId).tags, ['phone', 'cti-bridge']);
  assert.equal(byCall(callId).groupId, SALES_GROUP);
  assert.equal(byCall(withheld).subject, 'unknown (withheld) in support');
  assert.equal(byCall(withheld).call.from, 'withheld');
});

test('idempotencyKey: derived from the call id, the same after a restart, different per call', async (t) => {
  const first = setup(t);
  const callId = newCallId();
  first.handler.handle(answered(callId, ERIKA_NUMBER));
  await until(() => first.helpdesk.tickets.length === 1, 'the ticket');
  await first.handler.stop(Date.now() + 1_000);
  // A restarted daemon sees the same call again (the retry that must not make a second ticket).
  const restarted = setup(t);
  restarted.handler.handle(answered(callId, ERIKA_NUMBER));
  const other = newCallId();
  restarted.handler.handle(answered(other, ERIKA_NUMBER));
  await until(() => restarted.helpdesk.tickets.length === 2, 'the tickets');
  const key = first.helpdesk.tickets[0]!.idempotencyKey;
  assert.ok(key.includes(callId), key);
  assert.equal(restarted.helpdesk.tickets.find((tk) => tk.callId === callId)?.idempotencyKey, key);
  assert.notEqual(restarted.helpdesk.tickets.find((tk) => tk.callId === other)?.idempotencyKey, key);
});
