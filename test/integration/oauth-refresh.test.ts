import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { SimCall } from '../../src/sim/pbx/call-model.ts';
import { TokenFile } from '../../src/zendesk/oauth-token-file.ts';
import { type Bridge, FAKE_ZENDESK_CREDENTIALS, startBridge } from '../support/bridge-harness.ts';

const TOKEN = 'POST /oauth/tokens';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function ticketsOf(bridge: Bridge, callId: string) {
  return bridge.zd.state.tickets().filter((t) => t.external_id === `cti-bridge:${callId}`);
}

function tokenFileOf(bridge: Bridge): string {
  return TokenFile.pathFor(path.join(bridge.workDir, 'state'), 'main');
}

test('access tokens living 1 s, refreshed while 30 calls come in: every ticket exactly once; the rotated token survives a restart', async (t) => {
  const bridge = await startBridge({
    zendesk: {
      credentials: {
        ...FAKE_ZENDESK_CREDENTIALS,
        oauth: { ...FAKE_ZENDESK_CREDENTIALS.oauth, accessTokenTtlSec: 1 },
      },
    },
    profile: { wrapUpSeconds: 0 },
  });
  t.after(() => bridge.close());
  const since = bridge.mark();
  const calls: SimCall[] = [];
  for (let i = 0; i < 30; i++) {
    calls.push(
      bridge.pbx.placeCall({
        queue: i % 2 ? 'sales' : 'support',
        callerNum: `+4930${2_000_000 + i}`,
        talkMs: 100,
      }),
    );
    await sleep(200);
  }
  await Promise.all(calls.map((c) => c.done));
  await bridge.waitFor(
    () => calls.every((c) => ticketsOf(bridge, c.linkedid).length > 0),
    'every ticket',
    20_000,
  );
  await sleep(500); // retries still in flight must not add a second ticket
  const requests = since();
  const counts = calls.map((c) => ticketsOf(bridge, c.linkedid).length);
  const refreshes = requests.filter((r) => r.endpoint === TOKEN && r.status === 200).length;
  const unauthorized = requests.filter((r) => r.status === 401).length;
  const lost = counts.filter((n) => n === 0).length;
  const duplicates = counts.filter((n) => n > 1).length;
  console.log(
    `oauth refresh under calls: calls ${calls.length}, tickets ${counts.reduce((a, b) => a + b, 0)}, lost ${lost}, duplicates ${duplicates}, refreshes ${refreshes}, 401s (token rotated while a request was on its way) ${unauthorized}`,
  );
  assert.equal(lost, 0);
  assert.equal(duplicates, 0);
  assert.ok(refreshes >= 3, `${refreshes} refreshes while the calls came in`);
  assert.equal(requests.filter((r) => r.endpoint === TOKEN).length, refreshes, 'every refresh succeeded');
  assert.deepEqual(bridge.logged(/./, 'error'), []);
  assert.equal(bridge.integration?.snapshot().zendesk.auth, 'ok');
  assert.equal(statSync(tokenFileOf(bridge)).mode & 0o777, 0o600);

  // After a restart the daemon goes on with the stored chain: the profile's refresh token was
  // used up by the first refresh and would be rejected.
  await bridge.restart();
  assert.equal(bridge.logged(/using the tokens from the token file/).length, 1);
  const after = bridge.pbx.placeCall({ queue: 'support', callerNum: '+4930123456', talkMs: 100 });
  await bridge.waitFor(() => ticketsOf(bridge, after.linkedid).length === 1, 'the ticket after the restart');
  assert.deepEqual(bridge.logged(/rejected/), []);
  assert.equal(bridge.integration?.snapshot().zendesk.auth, 'ok');
});

test('a revoked refresh token: ERROR with the instruction, the daemon stays up, not ready; new tokens and a reload bring every ticket', async (t) => {
  const bridge = await startBridge({
    profile: { wrapUpSeconds: 0 },
    tuning: { retry: { firstMs: 100, maxMs: 400 } },
  });
  t.after(() => bridge.close());
  await bridge.waitFor(() => bridge.integration?.snapshot().zendesk.auth === 'ok', 'the start-up refresh');
  bridge.zd.revokeOAuthTokens(); // an admin deleted the bridge's token in Admin Center
  const since = bridge.mark();
  const calls = [0, 1, 2].map((i) =>
    bridge.pbx.placeCall({ queue: 'support', callerNum: `+4930${3_000_000 + i}`, talkMs: 100 }),
  );
  await bridge.waitFor(
    () => bridge.logged(/Zendesk rejected the OAuth refresh token/, 'error').length > 0,
    'the ERROR',
  );
  assert.equal(bridge.integration?.snapshot().zendesk.auth, 'rejected', 'readiness would be false');
  const [line] = bridge.logged(/Zendesk rejected the OAuth refresh token/, 'error');
  assert.match(String(line?.msg), /Admin Center/);
  assert.match(String(line?.msg), /reload/);
  assert.equal(line?.error, 'invalid_grant');

  // The handler keeps trying the tickets (401s); the daemon stays up and asks for no new token.
  await Promise.all(calls.map((c) => c.done));
  await sleep(1_500);
  assert.equal(bridge.daemon.status.kind, 'running');
  const tokenRequests = since().filter((r) => r.endpoint === TOKEN).length;
  assert.equal(tokenRequests, 1, 'one refresh attempt, no storm');
  assert.ok(since().filter((r) => r.status === 401).length >= 3, 'the calls did meet 401s');

  // The admin creates a new token, puts it into secret files the profile references, reloads.
  const fresh = bridge.zd.grantOAuthTokens();
  const accessFile = path.join(bridge.workDir, 'zendesk-access-token');
  const refreshFile = path.join(bridge.workDir, 'zendesk-refresh-token');
  writeFileSync(accessFile, `${fresh.accessToken}\n`, { mode: 0o600 });
  writeFileSync(refreshFile, `${fresh.refreshToken}\n`, { mode: 0o600 });
  const profileFile = path.join(bridge.configDir, 'main.yaml');
  writeFileSync(
    profileFile,
    readFileSync(profileFile, 'utf8')
      .replace('env:CTI_ZENDESK_ACCESS_TOKEN', `file:${accessFile}`)
      .replace('env:CTI_ZENDESK_REFRESH_TOKEN', `file:${refreshFile}`),
  );
  await bridge.daemon.reload();
  await bridge.waitFor(
    () => calls.every((c) => ticketsOf(bridge, c.linkedid).length > 0),
    'the tickets, replayed from the journal',
    20_000,
  );
  await bridge.waitFor(
    () => bridge.integration?.snapshot().zendesk.auth === 'ok',
    'the refresh with the new tokens',
  );
  const counts = calls.map((c) => ticketsOf(bridge, c.linkedid).length);
  assert.deepEqual(counts, [1, 1, 1]);
  assert.equal(bridge.logged(/the profile's credentials changed/).length, 1);
  const stored = readFileSync(tokenFileOf(bridge), 'utf8');
  const text = bridge.logs.lines.join('\n');
  const leaked = [fresh.accessToken, fresh.refreshToken, ...Object.values(JSON.parse(stored))].filter(
    (value) =>
      typeof value === 'string' && value.length > 20 && /^[0-9a-f]+$/.test(value) && text.includes(value),
  );
  console.log(
    `oauth rejected in the daemon: ERROR lines about the token ${bridge.logged(/Zendesk rejected the OAuth/, 'error').length}, token requests while rejected ${tokenRequests}, tickets after the reload ${counts.reduce((a, b) => a + b, 0)} of ${calls.length}`,
  );
  assert.deepEqual(leaked, [], 'no token value in any log line');
});
