import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';

/** Debian's path (package systemd-journal-remote). */
export const JOURNAL_REMOTE = '/lib/systemd/systemd-journal-remote';

/**
 * Writes the daemon's output into a journal file the way journald stores a unit's stdout: one
 * entry per line, MESSAGE the line, `_SYSTEMD_UNIT=cti-bridge.service`, priority info (the
 * unit's default SyslogLevel), SYSLOG_IDENTIFIER the executable's name. `journalctl --file` then
 * reads it without a running journald.
 */
export async function writeJournalFile(file: string, output: string, pid: number): Promise<number> {
  rmSync(file, { force: true });
  const bootId = '5e0c3a1f6b2d4c8e9a7b1c2d3e4f5a6b';
  let monotonic = 1_000_000;
  const entries: string[] = [];
  for (const line of output.split('\n')) {
    if (line.trim() === '') continue;
    let at = Date.now();
    try {
      const time = (JSON.parse(line) as { time?: string }).time;
      if (time && Number.isFinite(Date.parse(time))) at = Date.parse(time);
    } catch {
      // not a JSON line (a Node warning on stderr): stored as it is, at the current time
    }
    monotonic += 1000;
    entries.push(
      [
        `__REALTIME_TIMESTAMP=${at * 1000}`,
        `__MONOTONIC_TIMESTAMP=${monotonic}`,
        `_BOOT_ID=${bootId}`,
        `_HOSTNAME=${hostname()}`,
        '_SYSTEMD_UNIT=cti-bridge.service',
        `_PID=${pid}`,
        '_COMM=node',
        'SYSLOG_IDENTIFIER=node',
        'PRIORITY=6',
        `MESSAGE=${line}`,
      ].join('\n'),
    );
  }
  const child = spawn(JOURNAL_REMOTE, [`--output=${file}`, '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += String(chunk);
  });
  child.stdin.end(`${entries.join('\n\n')}\n\n`);
  const status = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (status !== 0 || !existsSync(file))
    throw new Error(`systemd-journal-remote failed (${status}): ${stderr}`);
  return entries.length;
}
