import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff } from '../../src/pbx/backoff.ts';

test('backoff: first retry within the first bound, doubling to the cap, reset after success', () => {
  const top = new Backoff({ firstMs: 500, maxMs: 30_000, random: () => 1 });
  assert.deepEqual(
    Array.from({ length: 9 }, () => top.next()),
    [500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000],
  );
  top.reset();
  assert.equal(top.next(), 500);
  const bottom = new Backoff({ firstMs: 500, maxMs: 30_000, random: () => 0 });
  assert.equal(bottom.next(), 250, 'jitter never goes below half the step');
  for (let i = 0; i < 100; i++) assert.ok(bottom.next() <= 30_000);
});
