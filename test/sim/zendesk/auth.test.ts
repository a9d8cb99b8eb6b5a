import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_CREDENTIALS } from '../../../src/sim/zendesk/index.ts';
import { BEARER_AUTH, basic, j, startFake } from './helpers.ts';

const UNAUTHENTICATED = { error: "Couldn't authenticate you" };
const { oauth } = DEFAULT_CREDENTIALS;

test('missing, wrong and password credentials all get 401 with the documented body', async (t) => {
  const { call } = await startFake(t);
  const attempts = [
    null,
    'Bearer not-a-token',
    basic('admin@example.com/token', 'wrong-token'),
    basic('admin@example.com', 'a-password'),
    'Digest something',
  ];
  for (const auth of attempts) {
    const res = await call('GET', '/api/v2/users/me', { auth });
    assert.equal(res.status, 401, `auth ${auth}`);
    assert.deepEqual(res.body, UNAUTHENTICATED);
  }
});

test('an API token and a Bearer access token both authenticate', async (t) => {
  const { zd, call } = await startFake(t);
  const admin = zd.state.userByEmail('admin@example.com')!;
  assert.equal((await call('GET', `/api/v2/users/${admin.id}.json`)).status, 200);
  assert.equal((await call('GET', `/api/v2/users/${admin.id}.json`, { auth: BEARER_AUTH })).status, 200);
});

test('refresh_token grant issues a working pair and revokes the old one', async (t) => {
  const { call } = await startFake(t);
  const refresh = await call('POST', '/oauth/tokens', {
    auth: null,
    body: {
      grant_type: 'refresh_token',
      client_id: oauth.clientId,
      client_secret: oauth.clientSecret,
      refresh_token: oauth.refreshTokens[0],
    },
  });
  assert.equal(refresh.status, 200);
  const tokens = j(refresh);
  assert.equal(tokens.token_type, 'bearer');
  assert.equal(tokens.expires_in, oauth.accessTokenTtlSec);
  assert.match(tokens.access_token, /^[0-9a-f]{48}$/);

  assert.equal((await call('GET', '/api/v2/groups', { auth: `Bearer ${tokens.access_token}` })).status, 200);
  assert.equal((await call('GET', '/api/v2/groups', { auth: BEARER_AUTH })).status, 401, 'old access token');
  const reuse = await call('POST', '/oauth/tokens', {
    auth: null,
    body: {
      grant_type: 'refresh_token',
      client_id: oauth.clientId,
      client_secret: oauth.clientSecret,
      refresh_token: oauth.refreshTokens[0],
    },
  });
  assert.equal(reuse.status, 400);
  assert.equal(j(reuse).error, 'invalid_grant');
});

test('a form-encoded refresh works; issued tokens expire on the clock', async (t) => {
  const { call, clock } = await startFake(t);
  const form = new URLSearchParams({
    grant_type: 'refresh_token',
    client_id: oauth.clientId,
    client_secret: oauth.clientSecret,
    refresh_token: oauth.refreshTokens[0],
    expires_in: '300',
  });
  const res = await call('POST', '/oauth/tokens', {
    auth: null,
    raw: form.toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  assert.equal(res.status, 200);
  const bearer = `Bearer ${j(res).access_token}`;
  assert.equal(j(res).expires_in, 300);
  clock.advance(299_000);
  assert.equal((await call('GET', '/api/v2/groups', { auth: bearer })).status, 200);
  clock.advance(1_000);
  const expired = await call('GET', '/api/v2/groups', { auth: bearer });
  assert.equal(expired.status, 401);
  assert.deepEqual(expired.body, UNAUTHENTICATED);
});

test('a wrong client secret is invalid_client (401); another grant type is refused (400)', async (t) => {
  const { call } = await startFake(t);
  const badClient = await call('POST', '/oauth/tokens', {
    auth: null,
    body: {
      grant_type: 'refresh_token',
      client_id: oauth.clientId,
      client_secret: 'nope',
      refresh_token: oauth.refreshTokens[0],
    },
  });
  assert.equal(badClient.status, 401);
  assert.equal(j(badClient).error, 'invalid_client');
  const password = await call('POST', '/oauth/tokens', {
    auth: null,
    body: { grant_type: 'password', username: 'admin@example.com', password: 'secret' },
  });
  assert.equal(password.status, 400);
  assert.equal(j(password).error, 'unsupported_grant_type');
});

test('the request log never keeps credentials', async (t) => {
  const { zd, call } = await startFake(t);
  await call('GET', '/api/v2/groups');
  await call('POST', '/oauth/tokens', {
    auth: null,
    body: {
      grant_type: 'refresh_token',
      client_id: oauth.clientId,
      client_secret: oauth.clientSecret,
      refresh_token: oauth.refreshTokens[0],
    },
  });
  const [groups, token] = zd.requests;
  assert.equal(groups?.headers.authorization, '[redacted]');
  assert.deepEqual(token?.body, {
    grant_type: 'refresh_token',
    client_id: oauth.clientId,
    client_secret: '[redacted]',
    refresh_token: '[redacted]',
  });
  assert.doesNotMatch(JSON.stringify(zd.requests), /fake-api-token|fake-client-secret|fake-refresh-token/);
});

const refreshBody = (refreshToken: string, extra: Record<string, unknown> = {}) => ({
  grant_type: 'refresh_token',
  client_id: oauth.clientId,
  client_secret: oauth.clientSecret,
  refresh_token: refreshToken,
  ...extra,
});

test('a used refresh token is invalid_grant with the description Zendesk gives', async (t) => {
  const { call } = await startFake(t);
  assert.equal(
    (await call('POST', '/oauth/tokens', { auth: null, body: refreshBody(oauth.refreshTokens[0]) })).status,
    200,
  );
  const reuse = await call('POST', '/oauth/tokens', {
    auth: null,
    body: refreshBody(oauth.refreshTokens[0]),
  });
  assert.equal(reuse.status, 400);
  assert.deepEqual(reuse.body, {
    error: 'invalid_grant',
    error_description:
      'The provided access grant is invalid, expired, or revoked (e.g. invalid assertion, expired authorization token, bad end-user password credentials, or mismatching authorization code and redirection URI).',
  });
});

test('refresh_token_expires_in below its 7-day minimum is refused (an access token always ends first)', async (t) => {
  const { call } = await startFake(t);
  const res = await call('POST', '/oauth/tokens', {
    auth: null,
    body: refreshBody(oauth.refreshTokens[0], { expires_in: 172_800, refresh_token_expires_in: 604_800 }),
  });
  assert.equal(res.status, 200, 'two days against seven is fine');
  const bad = await call('POST', '/oauth/tokens', {
    auth: null,
    body: refreshBody(j(res).refresh_token, { expires_in: 172_800, refresh_token_expires_in: 172_800 }),
  });
  assert.equal(bad.status, 400);
  assert.equal(j(bad).error, 'invalid_request');
});

test('revoking every OAuth token (Admin Center) stops API calls and refreshes; a granted pair works', async (t) => {
  const { zd, call } = await startFake(t);
  const refreshed = j(
    await call('POST', '/oauth/tokens', { auth: null, body: refreshBody(oauth.refreshTokens[0]) }),
  );
  assert.equal(zd.revokeOAuthTokens(), 2, 'the issued access and refresh token');
  assert.equal(
    (await call('GET', '/api/v2/groups', { auth: `Bearer ${refreshed.access_token}` })).status,
    401,
  );
  const refused = await call('POST', '/oauth/tokens', {
    auth: null,
    body: refreshBody(refreshed.refresh_token),
  });
  assert.equal(j(refused).error, 'invalid_grant');
  assert.equal((await call('GET', '/api/v2/groups')).status, 200, 'API tokens are not OAuth tokens');

  const granted = zd.grantOAuthTokens();
  assert.equal((await call('GET', '/api/v2/groups', { auth: `Bearer ${granted.accessToken}` })).status, 200);
  const next = await call('POST', '/oauth/tokens', { auth: null, body: refreshBody(granted.refreshToken) });
  assert.equal(next.status, 200);
  assert.equal(
    (await call('GET', '/api/v2/groups', { auth: `Bearer ${granted.accessToken}` })).status,
    401,
    'rotated away',
  );
});
