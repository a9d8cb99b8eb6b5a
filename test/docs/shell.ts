import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { captureOutput } from '../support/log-capture.ts';

export interface ShellResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** The working directory after the command (a `cd` in it carries over to the next one). */
  cwd: string;
}

/**
 * One documented command in bash, as the admin's terminal would run it, without blocking this
 * process (the fake PBX and Zendesk live in it). Bounded by `timeoutMs`; the output is registered
 * for the secret-leak check.
 */
export function runShell(
  command: string,
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number; label: string },
): Promise<ShellResult> {
  const scratch = mkdtempSync(path.join(tmpdir(), 'cti-doc-shell-'));
  const cwdFile = path.join(scratch, 'cwd');
  // The command runs in the caller's directory; its last directory is written out for the next.
  const script = 'cd "$1" || exit 97\neval "$2"\nrc=$?\npwd > "$3"\nexit $rc';
  const child = spawn('bash', ['-c', script, 'doc-command', options.cwd, command, cwdFile], {
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const capture = captureOutput(options.label);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    capture(chunk);
    stdout += String(chunk);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    capture(chunk);
    stderr += String(chunk);
  });
  const timer = setTimeout(() => {
    try {
      process.kill(-(child.pid ?? 0), 'SIGKILL');
    } catch {
      // gone already
    }
  }, options.timeoutMs ?? 120_000);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status) => {
      clearTimeout(timer);
      let cwd = options.cwd;
      try {
        cwd = readFileSync(cwdFile, 'utf8').trim() || cwd;
      } catch {
        // killed before it could say
      }
      rmSync(scratch, { recursive: true, force: true });
      resolve({ status, stdout, stderr, cwd });
    });
  });
}
