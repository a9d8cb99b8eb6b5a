import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** `bench/results/`, where each benchmark leaves the figures of its last run. */
export const RESULTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'results');

/**
 * The code a figure was measured on: the commit, and whether `src/` had uncommitted changes
 * (others may be editing while a benchmark runs). Undefined outside a git checkout.
 */
export function codeVersion(): { commit: string; srcDirty: boolean } | undefined {
  const root = path.resolve(RESULTS_DIR, '..', '..');
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return { commit: git('rev-parse', 'HEAD'), srcDirty: git('status', '--porcelain', '--', 'src') !== '' };
  } catch {
    return undefined;
  }
}

/**
 * Writes `bench/results/<name>.json` (pretty, trailing newline) and returns its path. An object
 * gets a `code` field (codeVersion) unless it has one.
 */
export function writeResults(name: string, data: unknown): string {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new Error(`bad results name: ${name}`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}.json`);
  const code = codeVersion();
  const out =
    data !== null && typeof data === 'object' && !Array.isArray(data) && !('code' in data) && code
      ? { ...data, code }
      : data;
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  return file;
}
