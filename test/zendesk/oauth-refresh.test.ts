import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type TestContext, test } from 'node:test';
import { type FakeZendesk, ManualClock, startFakeZendesk } from '../../src/sim/zendesk/index.ts';
import { Secret } from '../../src/util/secret.ts';
import type { ZendeskApiError } from '../../src/zendesk/errors.ts';
import { OAuthSession, REJECTED_RETRY_MS } from '../../src/zendesk/oauth-session.ts';
import { type TokenEndpoint, zendeskTokenEndpoint } from '../../src/zendesk/oauth-token-endpoint.ts';
import { TokenFile, tokenFingerprint } from '../../src/zendesk/oauth-token-file.ts';
import { ZendeskHelpdesk } from '../../src/zendesk/zendesk-helpdesk.ts';
import { ZendeskHttp } from '../../src/zendesk/zendesk-http.ts';
import { type CapturedLogs, captureLogs } from '../support/log-capture.ts';
import { type ManualTimers, manualTimers } from '../support/manual-timers.ts';
import { FAKE_ZENDESK_CREDENTIALS, TEST_SECRETS } from '../support/test-secrets.ts';
import { manualRateClock } from '../support/zendesk-client.ts';

const TOKEN = 'POST /oauth/tokens';
const SEARCH = 'GET /api/v2/search';
/** Access tokens the fake issues live 10 simulated minutes: the refresh is due 1 min before. */
const TTL_SEC = 600;

interface Rig {
  zd: FakeZendesk;
  clock: ManualClock;
  timers: ManualTimers;
  logs: CapturedLogs;
  tokenFile: string;
  /** Every token the token endpoint handed out, so the test can look for them in the logs. */
  issued: string[];
  client(profile?: { accessToken: string; refreshToken: string }): Client;
  requests(): Array<[string, number | null]>;
}

interface Client {
  session: OAuthSession;
  /** One Zendesk call (a phone search); resolves with the number of users found. */
  call(): Promise<number>;
}

async function rig(
  t: TestContext,
  fake: { refreshTokens?: string[]; accessTokens?: string[]; clientSecret?: string } = {},
): Promise<Rig> {
  const clock = new ManualClock();
  const zd = await startFakeZendesk({
    clock,
    credentials: {
      ...FAKE_ZENDESK_CREDENTIALS,
      oauth: { ...FAKE_ZENDESK_CREDENTIALS.oauth, accessTokenTtlSec: TTL_SEC, ...fake },
    },
  });
  const dir = await mkdtemp(path.join(tmpdir(), 'cti-oauth-'));
  const sessions: OAuthSession[] = [];
  t.after(async () => {
    for (const session of sessions) await session.stop();
    await zd.close();
    await rm(dir, { recursive: true, force: true });
  });
  const logs = captureLogs();
  const timers = manualTimers(clock);
  const tokenFile = TokenFile.pathFor(path.join(dir, 'state'), 'main');
  const issued: string[] = [];
  const real = zendeskTokenEndpoint(zd.url);
  const endpoint: TokenEndpoint = async (grant) => {
    const answer = await real(grant);
    if (answer.kind === 'tokens') issued.push(answer.accessToken, answer.refreshToken ?? '');
    return answer;
  };
  return {
    zd,
    clock,
    timers,
    logs,
    tokenFile,
    issued,
    client(
      profile = {
        accessToken: TEST_SECRETS.zendeskAccessToken,
        refreshToken: TEST_SECRETS.zendeskRefreshToken,
      },
    ) {
      // As the configuration loader does with every resolved secret.
      logs.logger.secrets.add(profile.accessToken);
      logs.logger.secrets.add(profile.refreshToken);
      const session = new OAuthSession({
        credentials: {
          accessToken: new Secret(profile.accessToken, 'env:CTI_ZENDESK_ACCESS_TOKEN'),
          refreshToken: new Secret(profile.refreshToken, 'env:CTI_ZENDESK_REFRESH_TOKEN'),
          clientId: FAKE_ZENDESK_CREDENTIALS.oauth.clientId,
          clientSecret: new Secret(TEST_SECRETS.zendeskClientSecret, 'env:CTI_ZENDESK_CLIENT_SECRET'),
        },
        baseUrl: zd.url,
        endpoint,
        logger: logs.logger,
        tokenFile: new TokenFile(tokenFile),
        clock: timers,
      });
      sessions.push(session);
      const http = new ZendeskHttp({
        baseUrl: zd.url,
        auth: session,
        logger: logs.logger,
        clock: manualRateClock(clock),
      });
      const helpdesk = new ZendeskHelpdesk({ http, talkPartnerEdition: true, logger: logs.logger });
      return { session, call: async () => (await helpdesk.findUsersByPhone('+4930123456')).length };
    },
    requests: () => zd.requests.map((r) => [r.endpoint, r.status]),
  };
}

/** A started session whose start-up refresh has finished. */
async function started(r: Rig, profile?: { accessToken: string; refreshToken: string }): Promise<Client> {
  const client = r.client(profile);
  await client.session.start();
  await client.session.idle();
  return client;
}

function count(r: Rig, endpoint: string, status?: number): number {
  return r.zd.requests.filter((q) => q.endpoint === endpoint && (status === undefined || q.status === status))
    .length;
}

async function storedFile(r: Rig): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(r.tokenFile, 'utf8')) as Record<string, unknown>;
}

/** No token (profile, issued or stored) in any line this test logged. */
function assertNoTokenLogged(r: Rig): void {
  const text = r.logs.lines.join('\n');
  const tokens = [...r.issued, TEST_SECRETS.zendeskAccessToken, TEST_SECRETS.zendeskRefreshToken].filter(
    Boolean,
  );
  assert.ok(tokens.length > 2, 'tokens were issued');
  const leaked = tokens.filter((token) => text.includes(token));
  assert.equal(leaked.length, 0, `${leaked.length} token value(s) reached a log line`);
}

test('before expiry: the access token is refreshed on a timer and calls never meet a 401', async (t) => {
  const r = await rig(t);
  const { session, call } = await started(r);
  assert.equal(
    count(r, TOKEN, 200),
    1,
    "start-up: the profile's token has no known expiry, so it is refreshed",
  );
  const simulatedMs = 6 * 3600_000;
  let calls = 0;
  // Calls keep coming every simulated 20 s for six hours; the timer refreshes in between.
  for (let elapsed = 0; elapsed < simulatedMs; elapsed += 20_000) {
    assert.equal(await call(), 1);
    calls += 1;
    await r.timers.advance(20_000, () => session.idle());
  }
  const refreshes = count(r, TOKEN, 200);
  const unauthorized = r.zd.requests.filter((q) => q.status === 401).length;
  console.log(
    `oauth before expiry: simulated ${simulatedMs / 3600_000} h, token lifetime ${TTL_SEC} s, refreshes ${refreshes}, calls ${calls}, 401s ${unauthorized}`,
  );
  assert.equal(unauthorized, 0);
  assert.equal(count(r, TOKEN), refreshes, 'every refresh succeeded');
  // One at start, then one every 540 s (60 s before each expiry).
  assert.equal(refreshes, 1 + Math.floor(simulatedMs / ((TTL_SEC - 60) * 1000)));
  assert.equal(session.state, 'ok');
  assert.equal(r.timers.pending(), 1, 'exactly one refresh timer is set');
  // The redaction list keeps the profile's tokens and two generations, not all 41.
  assert.ok(r.logs.logger.secrets.size <= 6, `${r.logs.logger.secrets.size} values registered`);
  const refreshedAt = r.zd.requests.filter((q) => q.endpoint === TOKEN).map((q) => q.at);
  const gaps = new Set(refreshedAt.slice(1).map((at, i) => at - refreshedAt[i]!));
  assert.deepEqual([...gaps], [(TTL_SEC - 60) * 1000]);
  assertNoTokenLogged(r);
});

test('the refresh timer does not keep the process alive', () => {
  const script = `import { systemSessionClock } from ${JSON.stringify(path.resolve(import.meta.dirname, '../../src/zendesk/oauth-session.ts'))};
systemSessionClock.after(600_000, () => { process.exitCode = 3; });`;
  const started = performance.now();
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 30_000 });
  assert.equal(child.status, 0, String(child.stderr));
  assert.ok(performance.now() - started < 20_000, 'the process exited without waiting for the timer');
});

test('a 401 (the token expired while the host slept) → one refresh → the call succeeds', async (t) => {
  const r = await rig(t);
  const { session, call } = await started(r);
  r.clock.advance((TTL_SEC + 1) * 1000); // time jumps past the expiry; the refresh timer has not run yet
  const since = r.zd.requests.length;
  assert.equal(await call(), 1);
  assert.deepEqual(r.requests().slice(since), [
    [SEARCH, 401],
    [TOKEN, 200],
    [SEARCH, 200],
  ]);
  assert.equal(session.state, 'ok');
  assert.equal(
    r.logs
      .records()
      .filter((l) => l.msg === 'Zendesk OAuth access token refreshed')
      .at(-1)?.reason,
    'Zendesk answered 401',
  );
  assertNoTokenLogged(r);
});

test('20 concurrent calls meeting 401 share one refresh', async (t) => {
  const r = await rig(t);
  const { call } = await started(r);
  r.clock.advance((TTL_SEC + 1) * 1000);
  const since = r.zd.requests.length;
  const found = await Promise.all(Array.from({ length: 20 }, () => call()));
  assert.deepEqual(found, Array(20).fill(1), 'every call succeeded');
  const after = r.requests().slice(since);
  const tally = (endpoint: string, status: number) =>
    after.filter(([e, s]) => e === endpoint && s === status).length;
  console.log(
    `oauth concurrent 401s: calls 20, 401s ${tally(SEARCH, 401)}, refreshes ${tally(TOKEN, 200)}, successes ${tally(SEARCH, 200)}`,
  );
  assert.equal(tally(TOKEN, 200), 1);
  assert.equal(after.filter(([e]) => e === TOKEN).length, 1, 'one token request, no storm');
  assert.equal(tally(SEARCH, 200), 20);
  assertNoTokenLogged(r);
});

test('the rotated tokens are saved (0600) and used after a restart; new profile tokens win over them', async (t) => {
  const second = { accessToken: 'zd-second-access-token-3c1d', refreshToken: 'zd-second-refresh-token-9a7e' };
  const r = await rig(t, {
    accessTokens: [TEST_SECRETS.zendeskAccessToken, second.accessToken],
    refreshTokens: [TEST_SECRETS.zendeskRefreshToken, second.refreshToken],
  });
  const first = await started(r);
  const file = await storedFile(r);
  assert.equal((await stat(r.tokenFile)).mode & 0o777, 0o600);
  assert.equal(file.zendesk, r.zd.url);
  assert.equal(file.profileRefreshToken, tokenFingerprint(TEST_SECRETS.zendeskRefreshToken));
  assert.notEqual(
    file.refreshToken,
    TEST_SECRETS.zendeskRefreshToken,
    'the rotated token, not the profile one',
  );
  assert.equal(file.refreshToken, r.issued[1]);
  assert.ok(!JSON.stringify(file).includes(TEST_SECRETS.zendeskRefreshToken), 'no profile token in the file');
  const reuse = await zendeskTokenEndpoint(r.zd.url)({
    refreshToken: TEST_SECRETS.zendeskRefreshToken,
    clientId: 'cti-bridge',
    clientSecret: TEST_SECRETS.zendeskClientSecret,
  });
  assert.equal(reuse.kind, 'rejected', "Zendesk deleted the profile's refresh token at the first refresh");

  // Someone loosened the file: the next save puts it back to 0600.
  await chmod(r.tokenFile, 0o644);
  await r.timers.advance((TTL_SEC - 60) * 1000, () => first.session.idle());
  assert.equal(count(r, TOKEN, 200), 2);
  assert.equal((await stat(r.tokenFile)).mode & 0o777, 0o600, 'rewritten with mode 0600');
  await first.session.stop();

  // A restart with the same profile: the file wins; no refresh is due yet, no 401, no ERROR.
  const before = r.zd.requests.length;
  const restarted = await started(r);
  assert.equal(await restarted.call(), 1);
  assert.deepEqual(r.requests().slice(before), [[SEARCH, 200]]);
  assert.ok(r.logs.lines.some((line) => line.includes('using the tokens from the token file')));
  await r.timers.advance(TTL_SEC * 1000, () => restarted.session.idle());
  assert.equal(count(r, TOKEN, 200), 3, 'the stored refresh token worked');
  assert.equal(restarted.session.state, 'ok');
  await restarted.session.stop();

  // An admin put other tokens into the profile: those win, and the file follows them.
  const replaced = await started(r, second);
  assert.equal(await replaced.call(), 1);
  assert.equal((await storedFile(r)).profileRefreshToken, tokenFingerprint(second.refreshToken));
  assert.ok(r.logs.lines.some((line) => line.includes("the profile's credentials changed")));
  assert.equal(r.logs.records().filter((l) => l.level === 'error').length, 0);
  console.log(
    `oauth token file: mode ${((await stat(r.tokenFile)).mode & 0o777).toString(8)}, refreshes ${count(r, TOKEN, 200)}, restarts 2, rejected 0`,
  );
  assertNoTokenLogged(r);
});

test('a rejected refresh token: an ERROR with the instruction, slow retries, no storm, no token in any line', async (t) => {
  const r = await rig(t);
  const { session, call } = await started(r);
  r.zd.revokeOAuthTokens(); // an admin deleted the token in Admin Center
  await r.timers.advance((TTL_SEC - 60) * 1000, () => session.idle());
  assert.equal(session.state, 'rejected');
  const errors = () => r.logs.records().filter((l) => l.level === 'error');
  assert.equal(errors().length, 1);
  const line = errors()[0]!;
  assert.match(String(line.msg), /Zendesk rejected the OAuth refresh token \(invalid_grant\)/);
  assert.match(String(line.msg), /Admin Center/);
  assert.match(String(line.msg), /zendesk\.auth/);
  assert.match(String(line.msg), /reload/);
  assert.equal(line.status, 400);
  assert.equal(line.retryInMs, REJECTED_RETRY_MS);

  // Calls fail with 401 now, and none of them sets off another refresh.
  const tokenRequests = count(r, TOKEN);
  const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => call()));
  for (let i = 0; i < 10; i++) outcomes.push(...(await Promise.allSettled([call()])));
  assert.ok(outcomes.every((o) => o.status === 'rejected' && (o.reason as ZendeskApiError).status === 401));
  assert.equal(count(r, TOKEN), tokenRequests, 'no refresh while rejected: no storm');

  // The slow retry: one try per 15 minutes, each rejection an ERROR again (alerts keep firing).
  await r.timers.advance(REJECTED_RETRY_MS * 4, () => session.idle());
  assert.equal(count(r, TOKEN) - tokenRequests, 4);
  assert.equal(errors().length, 5);
  assert.equal(session.state, 'rejected');
  console.log(
    `oauth rejected: ERROR lines ${errors().length} in ${(4 * REJECTED_RETRY_MS) / 60_000} simulated min, failed calls 30, extra token requests ${count(r, TOKEN) - tokenRequests}`,
  );
  assertNoTokenLogged(r);
});

test('network failures during a refresh: WARN, backoff 2/4/8 s, the current access token keeps working', async (t) => {
  const r = await rig(t);
  const { session, call } = await started(r);
  r.zd.faults.next('drop', { endpoint: TOKEN });
  r.zd.faults.next(503, { endpoint: TOKEN, count: 2 });
  const refreshesBefore = count(r, TOKEN);
  await r.timers.advance((TTL_SEC - 60) * 1000, () => session.idle());
  assert.equal(session.state, 'refreshing');
  for (const waitMs of [2_000, 4_000]) {
    assert.equal(await call(), 1, 'the current token is still valid');
    await r.timers.advance(waitMs, () => session.idle());
  }
  assert.equal(session.state, 'refreshing');
  await r.timers.advance(8_000, () => session.idle());
  assert.equal(session.state, 'ok');
  const tries = r.zd.requests.filter((q) => q.endpoint === TOKEN).slice(refreshesBefore);
  assert.deepEqual(
    tries.map((q) => q.status),
    [null, 503, 503, 200],
  );
  assert.deepEqual(
    tries.slice(1).map((q, i) => q.at - tries[i]!.at),
    [2_000, 4_000, 8_000],
  );
  const warnings = r.logs.records().filter((l) => l.level === 'warn');
  assert.deepEqual(
    warnings.map((w) => w.retryInMs),
    [2_000, 4_000, 8_000],
  );
  assert.equal(r.zd.requests.filter((q) => q.status === 401).length, 0, 'no call met a 401');
  assert.equal(r.logs.records().filter((l) => l.level === 'error').length, 0);
  assert.equal(await call(), 1);
  assertNoTokenLogged(r);
});

test('a wrong client secret: the ERROR says to check the OAuth client, not the token', async (t) => {
  // The fake's client has another secret than the profile's (rotated in Admin Center, say).
  const r = await rig(t, { clientSecret: 'the-secret-after-a-rotation-in-admin-center' });
  const { session } = await started(r);
  assert.equal(session.state, 'rejected');
  const [line] = r.logs.records().filter((l) => l.level === 'error');
  assert.match(String(line?.msg), /Zendesk rejected the OAuth client \(invalid_client\)/);
  assert.match(String(line?.msg), /zendesk\.auth\.clientId/);
  assert.equal(line?.status, 401);
  assert.ok(!r.logs.lines.join('\n').includes(TEST_SECRETS.zendeskClientSecret));
});

test('an unusable token file: WARN without its content, the profile tokens are used and the file rewritten', async (t) => {
  const r = await rig(t);
  const garbage = `{"accessToken": "${'f'.repeat(48)}", broken`;
  await mkdir(path.dirname(r.tokenFile), { recursive: true });
  await writeFile(r.tokenFile, garbage, { mode: 0o600 });
  const { session, call } = await started(r);
  const [warning] = r.logs.records().filter((l) => l.level === 'warn');
  assert.match(String(warning?.msg), /token file is unusable/);
  assert.equal(warning?.reason, 'it is not valid JSON');
  assert.ok(!r.logs.lines.join('\n').includes('f'.repeat(48)), 'nothing of the file in the log');
  assert.equal(session.state, 'ok');
  assert.equal(await call(), 1);
  assert.equal((await storedFile(r)).refreshToken, r.issued[1]);
});
