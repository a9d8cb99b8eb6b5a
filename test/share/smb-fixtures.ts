import { createHash } from 'node:crypto';
import {
  createReadStream,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after } from 'node:test';
import type { Logger } from '../../src/log/logger.ts';
import type { CopyOutcome } from '../../src/share/share-transport.ts';
import { SmbclientTransport, type SmbclientTransportOptions } from '../../src/share/smbclient-transport.ts';
import { Secret } from '../../src/util/secret.ts';
import type { SambaServer } from '../support/samba-server.ts';

/** A local directory for test files, removed after the file's tests. */
export function localDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cti-share-test-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A file of `size` seeded pseudo-random bytes (cheap to make, never compressible by accident). */
export function randomFile(dir: string, name: string, size: number, seed = 1): string {
  const file = join(dir, name);
  const data = Buffer.allocUnsafe(size);
  let x = seed * 2654435761 || 1;
  for (let i = 0; i + 4 <= size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    data.writeInt32LE(x | 0, i);
  }
  for (let i = size - (size % 4); i < size; i++) data[i] = i & 0xff;
  writeFileSync(file, data);
  return file;
}

export async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

export function transportFor(
  samba: Pick<SambaServer, 'host' | 'port' | 'share' | 'user'>,
  logger: Logger,
  password: string,
  extra: Partial<SmbclientTransportOptions> = {},
): SmbclientTransport {
  return new SmbclientTransport({
    host: samba.host,
    port: samba.port,
    share: samba.share,
    username: samba.user,
    password: new Secret(password, 'test'),
    logger,
    ...extra,
  });
}

/** Processes whose parent is this one and whose command is `name`, with argv and environment. */
export function childProcesses(name: string): Array<{ pid: number; argv: string[]; environ: string }> {
  const found: Array<{ pid: number; argv: string[]; environ: string }> = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const afterName = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(afterName[1]) !== process.pid) continue;
      if (!readlinkSync(`/proc/${entry}/exe`).endsWith(`/${name}`)) continue;
      found.push({
        pid: Number(entry),
        argv: readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean),
        environ: readFileSync(`/proc/${entry}/environ`, 'utf8'),
      });
    } catch {
      // Exited while we looked.
    }
  }
  return found;
}

/** Polls `check` every 5 ms until it holds or `ms` pass; returns whether it held. */
export async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return check();
}

/** The error of a failed outcome; throws when it succeeded (the test expected a failure). */
export function failureOf(outcome: CopyOutcome | undefined) {
  if (!outcome) throw new Error('no outcome');
  if (outcome.ok) throw new Error(`${outcome.item.remotePath} was copied, a failure was expected`);
  return outcome.error;
}
