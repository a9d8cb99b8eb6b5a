import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { captureOutput } from '../support/log-capture.ts';

const bin = path.resolve(import.meta.dirname, '../../bin/cti-bridge.js');

test('cti-bridge demo plays the morning end to end and exits 0', async () => {
  const child = spawn(process.execPath, [bin, 'demo'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const record = captureOutput('cti-bridge demo');
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    record(chunk);
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    record(chunk);
    output += chunk.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(timer);
  assert.equal(code, 0, output);
  assert.match(output, /ticket #1 for Erika Mustermann, opened on Anna Agent's screen/);
  assert.match(output, /wrap-up: number added to Hans Lokal/);
  assert.match(output, /from the cache: the caller is Hans Lokal/);
  assert.match(output, /caller withheld the number/);
  assert.match(output, /no ticket/);
  assert.match(output, /tickets created {6}9 \(one per answered call\)/);
  // The operations listener, on a port of its own: ready, and its counters agree with the story.
  assert.match(output, /operations listener on http:\/\/127\.0\.0\.1:\d+ /);
  assert.match(output, /GET \/readyz 200/);
  assert.match(output, /cti_bridge_calls_total\{outcome="ticket"\} 9\n/);
  assert.match(output, /cti_bridge_calls_total\{outcome="abandoned"\} 1\n/);
  assert.doesNotMatch(output, /ERROR/);
});
