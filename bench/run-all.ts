/**
 * `npm run bench`: every `bench/*.ts` but this one, one after another, each as a child process
 * with this Node, its output passed through. The whole set must finish within 10 minutes; a
 * benchmark still running when the budget is spent is stopped and counts as failed.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeMachine } from './lib/machine.ts';

const BUDGET_MS = 10 * 60_000;
const here = path.dirname(fileURLToPath(import.meta.url));
const self = path.basename(fileURLToPath(import.meta.url));
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== self)
  .sort();

function run(
  file: string,
  timeoutMs: number,
): Promise<{ code: number | null; ms: number; timedOut: boolean }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(here, file), ...process.argv.slice(2)], {
      stdio: 'inherit',
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, ms: performance.now() - started, timedOut });
    });
    child.on('error', () => {
      clearTimeout(timer);
      resolve({ code: null, ms: performance.now() - started, timedOut });
    });
  });
}

const started = performance.now();
process.stdout.write(`${benches.length} benchmark(s) on ${describeMachine()}\n`);
const outcomes: string[] = [];
let failed = 0;
for (const file of benches) {
  const left = BUDGET_MS - (performance.now() - started);
  if (left <= 0) {
    outcomes.push(`${file}: not run (the 10-minute budget is spent)`);
    failed++;
    continue;
  }
  process.stdout.write(`\n=== ${file}\n`);
  const { code, ms, timedOut } = await run(file, left);
  const ok = code === 0 && !timedOut;
  if (!ok) failed++;
  outcomes.push(
    `${file}: ${ok ? 'ok' : timedOut ? 'stopped (out of time)' : `failed (exit ${code})`} in ${(ms / 1000).toFixed(1)} s`,
  );
}
process.stdout.write(
  `\n${outcomes.join('\n')}\ntotal ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
);
process.exitCode = failed > 0 ? 1 : 0;
