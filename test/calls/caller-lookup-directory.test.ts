import assert from 'node:assert/strict';
import { test } from 'node:test';
import Keyv from 'keyv';
import { CallerLookup, type LocalPhoneDirectory } from '../../src/calls/caller-lookup.ts';
import type { HelpdeskUser } from '../../src/calls/ports.ts';
import { captureLogs } from '../support/log-capture.ts';
import { searchOnly } from '../support/search-only-helpdesk.ts';

const ERIKA: HelpdeskUser = { id: 20, name: 'Erika Mustermann', role: 'end-user' };

/** A directory as the mirror is to the lookup: a map while it answers, nothing while it does not. */
function directory(entries: Record<string, Array<{ id: number; name: string }>>) {
  const state = { answering: true, added: [] as Array<[string, number]> };
  const dir: LocalPhoneDirectory = {
    usersWith: (e164) => (state.answering ? (entries[e164] ?? []) : undefined),
    add: (e164, user) => {
      state.added.push([e164, user.id]);
      entries[e164] = [...(entries[e164] ?? []), user];
    },
  };
  return { dir, state };
}

function setup(dir: LocalPhoneDirectory) {
  const logs = captureLogs();
  const { helpdesk, searches } = searchOnly(async (e164) => (e164 === '+4930123456' ? [ERIKA] : []));
  const cache = new Keyv();
  const lookup = new CallerLookup({
    helpdesk,
    cache,
    positiveTtlMs: 60_000,
    negativeTtlMs: 10_000,
    logger: logs.logger,
    directory: dir,
  });
  return { lookup, searches, cache, logs };
}

test('a directory that answers replaces cache and search: known, unknown and ambiguous without a request', async () => {
  const { dir } = directory({
    '+4930123456': [{ id: 20, name: 'Erika Mustermann' }],
    '+49405550000': [
      { id: 23, name: 'Max' },
      { id: 24, name: 'Maria' },
    ],
  });
  const s = setup(dir);
  assert.deepEqual(await s.lookup.lookup('+4930123456', 'a'), {
    kind: 'known',
    userId: 20,
    name: 'Erika Mustermann',
    cached: true,
  });
  assert.deepEqual(await s.lookup.lookup('+4915112345678', 'b'), {
    kind: 'unknown',
    reason: 'not found',
    cached: true,
  });
  assert.deepEqual(await s.lookup.lookup('+49405550000', 'c'), {
    kind: 'unknown',
    reason: 'ambiguous',
    cached: true,
  });
  assert.deepEqual(s.searches, []);
  const warn = s.logs
    .records()
    .find((r) => r.msg === 'several Zendesk users have this number; caller treated as unknown');
  assert.deepEqual(warn?.userIds, [23, 24]);
  assert.equal(warn?.callId, 'c');
  assert.equal(
    await s.cache.get('caller:+4915112345678'),
    undefined,
    'no negative entry: the directory is fresher',
  );
});

test('a directory that cannot answer (loading, stale, off): the cache and the search, as without one', async () => {
  const { dir, state } = directory({});
  state.answering = false;
  const s = setup(dir);
  const first = await s.lookup.lookup('+4930123456', 'a');
  const second = await s.lookup.lookup('+4930123456', 'b');
  assert.deepEqual(first, { kind: 'known', userId: 20, name: 'Erika Mustermann', cached: false });
  assert.equal(second.cached, true);
  assert.deepEqual(s.searches, ['+4930123456'], 'one search, then the cache');
});

test('remember(): a user the bridge created or a number it added is in the directory at once', async () => {
  const { dir, state } = directory({});
  const s = setup(dir);
  await s.lookup.remember('+4930555111', { id: 77, name: 'Caller +4930555111' });
  assert.deepEqual(state.added, [['+4930555111', 77]]);
  const result = await s.lookup.lookup('+4930555111', 'a');
  assert.equal(result.kind === 'known' && result.userId, 77);
  assert.deepEqual(s.searches, []);
});
