import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';

/**
 * The real install of the docs on the host: only on CI's disposable machine (CI=true, root), and
 * only where no cti-bridge is installed; everything it made is removed again afterwards.
 */

/** What the documented install creates on the host. */
const INSTALLED = [
  '/opt/cti-bridge',
  '/etc/cti-bridge',
  '/var/lib/cti-bridge',
  '/etc/systemd/system/cti-bridge.service',
  '/usr/local/bin/cti-bridge',
];
const RECORDINGS = [
  '/var/spool/asterisk/monitor/cti-bridge',
  '/var/spool/asterisk/monitor',
  '/var/spool/asterisk',
];

function accountExists(kind: 'passwd' | 'group', name: string): boolean {
  return spawnSync('getent', [kind, name], { stdio: 'ignore', timeout: 5_000 }).status === 0;
}

/** Why the host commands do not run for real here, or undefined when they do. */
export function hostSkipReason(): string | undefined {
  if (process.env.CI !== 'true')
    return 'changes the host: runs for real only with CI=true as root (CI is a disposable machine)';
  if (process.getuid?.() !== 0) return 'changes the host: needs root';
  const present = [...INSTALLED, RECORDINGS[0]!].filter((p) => existsSync(p));
  if (accountExists('passwd', 'cti-bridge')) present.push('user cti-bridge');
  if (present.length > 0)
    return `this host has a cti-bridge install already (${present.join(', ')}): the real run needs a host without one`;
  return undefined;
}

/** Whether systemd runs as PID 1 (systemctl and journald work). */
export function systemdRuns(): boolean {
  return existsSync('/run/systemd/system');
}

export class HostInstall {
  readonly #createdAsterisk: boolean[] = [];
  readonly #spoolExisted = RECORDINGS.map((p) => existsSync(p));

  /**
   * `usermod -aG asterisk` needs the group the Asterisk package creates; no Asterisk package exists
   * for Debian 12, so the test creates its system user as the package would.
   */
  ensureAsteriskAccount(): void {
    if (accountExists('group', 'asterisk')) return;
    const made = spawnSync(
      'useradd',
      [
        '--system',
        '--no-create-home',
        '--home-dir',
        '/var/lib/asterisk',
        '--shell',
        '/usr/sbin/nologin',
        'asterisk',
      ],
      { encoding: 'utf8', timeout: 10_000 },
    );
    if (made.status !== 0) throw new Error(`useradd asterisk failed: ${made.stderr}`);
    this.#createdAsterisk.push(true);
  }

  /** Removes what the real install made. */
  remove(): void {
    if (systemdRuns())
      spawnSync('systemctl', ['disable', '--now', 'cti-bridge'], { stdio: 'ignore', timeout: 30_000 });
    for (const p of INSTALLED) rmSync(p, { recursive: true, force: true });
    // The spool folders the install created, deepest first; never one that was there before.
    for (const [i, p] of RECORDINGS.entries())
      if (!this.#spoolExisted[i]) rmSync(p, { recursive: true, force: true });
    if (accountExists('passwd', 'cti-bridge'))
      spawnSync('userdel', ['cti-bridge'], { stdio: 'ignore', timeout: 10_000 });
    if (this.#createdAsterisk.length > 0)
      spawnSync('userdel', ['asterisk'], { stdio: 'ignore', timeout: 10_000 });
    if (systemdRuns()) spawnSync('systemctl', ['daemon-reload'], { stdio: 'ignore', timeout: 30_000 });
  }
}
