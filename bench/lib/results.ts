import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** `bench/results/`, where each benchmark leaves the figures of its last run. */
export const RESULTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'results');

/** Writes `bench/results/<name>.json` (pretty, trailing newline) and returns its path. */
export function writeResults(name: string, data: unknown): string {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new Error(`bad results name: ${name}`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}
