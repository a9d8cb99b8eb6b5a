import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

const repo = path.resolve(import.meta.dirname, '../..');
const unitText = readFileSync(path.join(repo, 'systemd/cti-bridge.service'), 'utf8');
const hasSystemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

function directives(text: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (match) map.set(match[1]!, [...(map.get(match[1]!) ?? []), match[2]!]);
  }
  return map;
}

test('the unit runs as a dedicated user with the hardening the issue names', () => {
  const d = directives(unitText);
  assert.deepEqual(d.get('User'), ['cti-bridge']);
  assert.deepEqual(d.get('ProtectSystem'), ['strict']);
  assert.deepEqual(d.get('NoNewPrivileges'), ['yes']);
  assert.deepEqual(d.get('PrivateTmp'), ['yes']);
  assert.deepEqual(d.get('Restart'), ['on-failure']);
  // READY=1/WATCHDOG=1 come from systemd-notify, a child of the daemon (src/daemon/sd-notify.ts).
  assert.deepEqual(d.get('Type'), ['notify']);
  assert.deepEqual(d.get('NotifyAccess'), ['all']);
  assert.deepEqual(d.get('WatchdogSec'), ['30s']);
  const writable = d.get('ReadWritePaths')?.[0]?.split(/\s+/) ?? [];
  assert.ok(writable.includes('/var/lib/cti-bridge'), 'state directory writable');
  assert.ok(
    writable.some((p) => p.includes('monitor')),
    'recordings directory writable',
  );
  assert.match(
    d.get('ExecStart')?.[0] ?? '',
    /^\/\S+\/node \S+cti-bridge\.js /,
    'absolute path to a Node >= 22 binary',
  );
});

test('systemd-analyze verify accepts the unit', {
  skip: !hasSystemdAnalyze && 'systemd-analyze not installed',
}, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cti-unit-'));
  try {
    // Point the unit at this checkout so verify can check that ExecStart's binary exists.
    const unit = path.join(dir, 'cti-bridge.service');
    writeFileSync(unit, unitText.replaceAll('/opt/cti-bridge', repo));
    const result = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr.trim(), '', 'no warnings');
    const security = spawnSync('systemd-analyze', ['security', '--offline=yes', unit], { encoding: 'utf8' });
    if (security.status === 0) {
      const score = /Overall exposure level for \S+: ([\d.]+)/.exec(security.stdout)?.[1];
      assert.ok(
        score && Number(score) <= 2,
        `exposure ${score} should stay at or below 2.0 (docs/systemd.md)`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
