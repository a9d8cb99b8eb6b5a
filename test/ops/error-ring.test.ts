import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorRing } from '../../src/ops/error-ring.ts';
import { captureLogs } from '../support/log-capture.ts';

test('error ring: WARN and ERROR lines per profile, redacted by the logger, bounded', () => {
  const logs = captureLogs({ level: 'info' });
  const ring = new ErrorRing({ perProfile: 5 });
  ring.attach(logs.logger);
  const secret = 'ring-Secret-value-4711';
  logs.logger.secrets.add(secret);
  const main = logs.logger.with({ profile: 'main' }).child('zendesk');
  main.error(`token ${secret} refused`, {
    err: new Error(`401 for ${secret}`),
    endpoint: 'GET /api/v2/users/me',
  });
  main.info('an info line is not kept');
  logs.logger.with({ profile: 'other' }).child('ami').warn('other profile');
  logs.logger.child('config').warn('a daemon line');

  const recent = ring.recent('main');
  assert.deepEqual(
    recent.map((e) => [e.level, e.module, e.message]),
    [
      ['error', 'zendesk', 'token [redacted] refused'],
      ['warn', 'config', 'a daemon line'],
    ],
  );
  assert.equal(recent[0]?.detail, 'err=401 for [redacted] endpoint=GET /api/v2/users/me');
  assert.ok(!JSON.stringify(recent).includes(secret));
  assert.deepEqual(
    ring.recent(undefined).map((e) => e.message),
    ['a daemon line'],
  );

  for (let i = 0; i < 12; i++) main.warn(`warning ${i}`);
  assert.deepEqual(
    ring.recent('main').map((e) => e.message),
    ['warning 7', 'warning 8', 'warning 9', 'warning 10', 'warning 11'],
    'the newest five of the profile and the daemon together',
  );
});
