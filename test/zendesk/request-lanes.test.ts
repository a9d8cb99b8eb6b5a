import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RequestLanes } from '../../src/zendesk/request-lanes.ts';
import { captureLogs } from '../support/log-capture.ts';

test('a lane runs pops and background work in order, lookups newest first, and reports what waits', async () => {
  const lanes = new RequestLanes({ lookupConcurrency: 1, backgroundConcurrency: 1, popConcurrency: 1 });
  const started: string[] = [];
  let release!: () => void;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const run = (lane: 'pop' | 'lookup' | 'background', name: string) =>
    lanes.run(lane, async () => {
      started.push(name);
      await held;
    });
  const all = [
    run('pop', 'pop 1'),
    run('pop', 'pop 2'),
    run('pop', 'pop 3'),
    run('lookup', 'lookup 1'),
    run('lookup', 'lookup 2'),
    run('lookup', 'lookup 3'),
    run('background', 'background 1'),
    run('background', 'background 2'),
    run('background', 'background 3'),
  ];
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(started, ['pop 1', 'lookup 1', 'background 1']);
  assert.deepEqual(
    { pop: lanes.waiting('pop'), lookup: lanes.waiting('lookup'), background: lanes.waiting('background') },
    { pop: 2, lookup: 2, background: 2 },
  );
  release();
  await Promise.all(all);
  assert.deepEqual(
    started.filter((s) => s.startsWith('pop')),
    ['pop 1', 'pop 2', 'pop 3'],
  );
  assert.deepEqual(
    started.filter((s) => s.startsWith('lookup')),
    ['lookup 1', 'lookup 3', 'lookup 2'],
  );
  assert.deepEqual(
    started.filter((s) => s.startsWith('background')),
    ['background 1', 'background 2', 'background 3'],
  );
});

// The secret-leak check of test/support/log-capture.ts runs after this file too.
captureLogs();
