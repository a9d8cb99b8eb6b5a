/**
 * Copying recordings to an SMB share: our smbclient transport (src/share/smbclient-transport.ts)
 * against plain `smbclient put` of the same files to the same smbd, in the same run, on loopback.
 * Two sets: 20 × 5 MiB (a copy run's batch) and 1 × 200 MiB (a long call). Then the memory of
 * this process while the transport copies the 200 MiB file, against idle before, and the peak RSS
 * of the smbclient children. Starts its own smbd (test/support/samba-server.ts): needs root and
 * Samba, as the tests do.
 *
 *   node bench/recordings-copy.ts [--rounds=9]
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import {
  closeSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger } from '../src/log/logger.ts';
import type { CopyItem } from '../src/share/share-transport.ts';
import { SmbclientTransport } from '../src/share/smbclient-transport.ts';
import { Secret } from '../src/util/secret.ts';
import { type SambaServer, sambaSkipReason, startSamba } from '../test/support/samba-server.ts';
import { describeMachine, machineFacts } from './lib/machine.ts';
import { writeResults } from './lib/results.ts';
import { median, round, sleep } from './lib/stats.ts';
import { formatNumber, printTable } from './lib/table.ts';

const MiB = 1024 * 1024;
const PASSWORD = 'bench-Share-Pw-4c1d';
const SETS = [
  { id: '20x5MiB', files: 20, bytes: 5 * MiB },
  { id: '1x200MiB', files: 1, bytes: 200 * MiB },
] as const;
type SetId = (typeof SETS)[number]['id'];
type Method = 'ours' | 'smbclient put';

const rounds = Number(process.argv.find((a) => a.startsWith('--rounds='))?.slice('--rounds='.length) ?? 9);
const log = (line: string) => process.stdout.write(`${line}\n`);

// ---------------------------------------------------------------------------------------------
// Files and the two ways of copying them.

function makeFiles(dir: string, set: (typeof SETS)[number]): string[] {
  const chunk = Buffer.allocUnsafe(MiB);
  return Array.from({ length: set.files }, (_, i) => {
    const file = path.join(dir, `${set.id}-${String(i).padStart(2, '0')}.wav`);
    const fd = openSync(file, 'w');
    for (let written = 0; written < set.bytes; written += MiB) writeSync(fd, randomFillSync(chunk));
    closeSync(fd);
    return file;
  });
}

async function copyOurs(transport: SmbclientTransport, files: string[], bytes: number, remoteDir: string) {
  const items: CopyItem[] = files.map((f) => ({
    localFile: f,
    remotePath: `${remoteDir}/${path.basename(f)}`,
    size: bytes,
  }));
  const started = performance.now();
  const outcomes = await transport.copy(items);
  const ms = performance.now() - started;
  const failed = outcomes.filter((o) => !o.ok || o.remoteSize !== bytes);
  if (failed.length > 0)
    throw new Error(
      `our copy failed: ${failed.map((o) => (o.ok ? o.remoteSize : o.error.message)).join('; ')}`,
    );
  return ms;
}

/** What an admin would run by hand: one smbclient, `mkdir` and a `put` per file. */
function copyPlain(
  samba: SambaServer,
  authFile: string,
  files: string[],
  remoteDir: string,
): Promise<number> {
  const commands = [
    `mkdir "${remoteDir}"`,
    ...files.map((f) => `put "${f}" "${remoteDir}/${path.basename(f)}"`),
  ];
  const args = [
    `//${samba.host}/${samba.share}`,
    '-p',
    String(samba.port),
    '-A',
    authFile,
    '-m',
    'SMB3',
    '-q',
    '-c',
    commands.join('; '),
  ];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('smbclient', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => {
      output += String(c);
    });
    child.stderr.on('data', (c: Buffer) => {
      output += String(c);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      if (code !== 0 || /NT_STATUS_/.test(output))
        reject(new Error(`smbclient put failed (${code}): ${output}`));
      else resolve(ms);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Memory: this process (RSS, heap) and the smbclient children (VmHWM from /proc).

/** Peak RSS (VmHWM, kB → MiB) of each smbclient child seen so far, by pid. */
function sampleChildren(peaks: Map<number, number>): void {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== process.pid) continue;
      if (!readlinkSync(`/proc/${entry}/exe`).endsWith('/smbclient')) continue;
      const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${entry}/status`, 'utf8'));
      if (hwm) peaks.set(Number(entry), Math.max(peaks.get(Number(entry)) ?? 0, Number(hwm[1]) / 1024));
    } catch {
      // Exited while we looked.
    }
  }
}

interface MemoryFigures {
  rssIdleMiB: number;
  rssPeakMiB: number;
  rssDeltaMiB: number;
  heapIdleMiB: number;
  heapPeakMiB: number;
  heapDeltaMiB: number;
  samples: number;
  smbclientPeakRssMiB: number[];
}

async function measureMemory<T>(work: () => Promise<T>): Promise<MemoryFigures> {
  const idle: NodeJS.MemoryUsage[] = [];
  for (let i = 0; i < 20; i++) {
    idle.push(process.memoryUsage());
    await sleep(10);
  }
  let rssPeak = 0;
  let heapPeak = 0;
  let samples = 0;
  const children = new Map<number, number>();
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    rssPeak = Math.max(rssPeak, m.rss);
    heapPeak = Math.max(heapPeak, m.heapUsed);
    samples++;
    sampleChildren(children);
  }, 10);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  const rssIdle = median(idle.map((m) => m.rss));
  const heapIdle = median(idle.map((m) => m.heapUsed));
  const mib = (n: number) => round(n / MiB, 1);
  return {
    rssIdleMiB: mib(rssIdle),
    rssPeakMiB: mib(rssPeak),
    rssDeltaMiB: mib(rssPeak - rssIdle),
    heapIdleMiB: mib(heapIdle),
    heapPeakMiB: mib(heapPeak),
    heapDeltaMiB: mib(heapPeak - heapIdle),
    samples,
    smbclientPeakRssMiB: [...children.values()].map((v) => round(v, 1)),
  };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const skip = sambaSkipReason();
  if (skip) {
    log(`recordings-copy: not run: ${skip}`);
    return;
  }
  const started = performance.now();
  const machine = machineFacts();
  const local = mkdtempSync(path.join(tmpdir(), 'cti-bench-copy-'));
  const samba = await startSamba({ password: PASSWORD });
  const transport = new SmbclientTransport({
    host: samba.host,
    port: samba.port,
    share: samba.share,
    username: samba.user,
    password: new Secret(PASSWORD, 'bench'),
    logger: silentLogger(),
  });
  // The share on tmpfs when we may mount one: the figures are then about the transport, not about
  // when the VM's disk happens to write back.
  const onTmpfs =
    spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1g,mode=0755', 'tmpfs', samba.shareDir], {
      stdio: 'ignore',
    }).status === 0;
  if (onTmpfs) spawnSync('chown', [samba.user, samba.shareDir]);
  const authFile = path.join(local, 'auth');
  writeFileSync(authFile, `username = ${samba.user}\npassword = ${PASSWORD}\n`, { mode: 0o600 });
  try {
    const files = new Map<SetId, string[]>();
    for (const set of SETS) files.set(set.id, makeFiles(local, set));
    log(
      `recordings-copy on ${describeMachine(machine)}; smbd and smbclient on loopback, ${rounds} rounds, order alternated`,
    );

    const times: Record<SetId, Record<Method, number[]>> = {
      '20x5MiB': { ours: [], 'smbclient put': [] },
      '1x200MiB': { ours: [], 'smbclient put': [] },
    };
    // One warm-up of each (page cache, smbd's first fork) that is not counted.
    for (const set of SETS) {
      await copyOurs(transport, files.get(set.id)!, set.bytes, 'warm-ours');
      await copyPlain(samba, authFile, files.get(set.id)!, 'warm-plain');
      rmSync(path.join(samba.shareDir, 'warm-ours'), { recursive: true, force: true });
      rmSync(path.join(samba.shareDir, 'warm-plain'), { recursive: true, force: true });
    }
    for (let r = 0; r < rounds; r++) {
      for (const set of SETS) {
        const list = files.get(set.id)!;
        const order: Method[] = r % 2 === 0 ? ['ours', 'smbclient put'] : ['smbclient put', 'ours'];
        for (const method of order) {
          const remoteDir = `r${r}-${method === 'ours' ? 'ours' : 'plain'}-${set.id}`;
          // The previous run's pages are written back now, not during this one.
          if (!onTmpfs) spawnSync('sync');
          const ms =
            method === 'ours'
              ? await copyOurs(transport, list, set.bytes, remoteDir)
              : await copyPlain(samba, authFile, list, remoteDir);
          times[set.id][method].push(ms);
          rmSync(path.join(samba.shareDir, remoteDir), { recursive: true, force: true });
        }
      }
    }

    const big = SETS[1];
    const memoryOurs = await measureMemory(() =>
      copyOurs(transport, files.get(big.id)!, big.bytes, 'mem-ours'),
    );
    const memoryPlain = await measureMemory(() =>
      copyPlain(samba, authFile, files.get(big.id)!, 'mem-plain'),
    );

    const throughput = SETS.map((set) => {
      const total = set.files * set.bytes;
      const mibPerS = (ms: number) => total / MiB / (ms / 1000);
      const ours = times[set.id].ours;
      const plain = times[set.id]['smbclient put'];
      const ratios = ours.map((ms, i) => plain[i]! / ms); // same round: ours/plain throughput
      return {
        set: set.id,
        bytes: total,
        oursMiBps: round(median(ours.map(mibPerS)), 1),
        plainMiBps: round(median(plain.map(mibPerS)), 1),
        // Best of the rounds: what each costs when nothing else on the machine interferes.
        oursBestMiBps: round(mibPerS(Math.min(...ours)), 1),
        plainBestMiBps: round(mibPerS(Math.min(...plain)), 1),
        ratioBest: round(Math.min(...plain) / Math.min(...ours), 2),
        oursMsMedian: round(median(ours), 1),
        plainMsMedian: round(median(plain), 1),
        ratioMedian: round(median(ratios), 2),
        ratiosPerRound: ratios.map((v) => round(v, 2)),
        oursMs: ours.map((v) => round(v, 1)),
        plainMs: plain.map((v) => round(v, 1)),
      };
    });

    log('');
    log(`medians of ${rounds} rounds; ratio = smbclient put time / our time in the same round`);
    printTable(
      [
        { header: 'set' },
        { header: 'ours MiB/s', align: 'right' },
        { header: 'smbclient put MiB/s', align: 'right' },
        { header: 'ours / put', align: 'right' },
        { header: 'best: ours, put MiB/s (ratio)', align: 'right' },
        { header: 'ratio per round', align: 'right' },
      ],
      throughput.map((t) => [
        t.set,
        formatNumber(t.oursMiBps, 1),
        formatNumber(t.plainMiBps, 1),
        `${formatNumber(t.ratioMedian, 2)}×`,
        `${formatNumber(t.oursBestMiBps, 1)}, ${formatNumber(t.plainBestMiBps, 1)} (${formatNumber(t.ratioBest, 2)}×)`,
        t.ratiosPerRound.join(', '),
      ]),
    );
    log('');
    printTable(
      [
        { header: 'copying 1 × 200 MiB' },
        { header: 'RSS idle MiB', align: 'right' },
        { header: 'RSS peak MiB', align: 'right' },
        { header: 'Δ RSS MiB', align: 'right' },
        { header: 'heap idle MiB', align: 'right' },
        { header: 'Δ heap MiB', align: 'right' },
        { header: 'smbclient peak RSS MiB', align: 'right' },
      ],
      [
        ['this process, our transport', memoryOurs],
        ['this process, smbclient put', memoryPlain],
      ].map(([label, m]) => {
        const f = m as MemoryFigures;
        return [
          label as string,
          formatNumber(f.rssIdleMiB, 1),
          formatNumber(f.rssPeakMiB, 1),
          formatNumber(f.rssDeltaMiB, 1),
          formatNumber(f.heapIdleMiB, 1),
          formatNumber(f.heapDeltaMiB, 1),
          f.smbclientPeakRssMiB.map((v) => formatNumber(v, 1)).join(' + ') || '–',
        ];
      }),
    );
    const durationS = round((performance.now() - started) / 1000, 1);
    const file = writeResults('recordings-copy', {
      bench: 'recordings-copy',
      date: new Date().toISOString(),
      durationS,
      machine,
      config: {
        rounds,
        sets: SETS,
        transport:
          'SmbclientTransport.copy(): upload script (mkdir, put to .partial, ls) + publish script (rename -f, ls), two smbclient processes started together',
        baseline: 'one smbclient -c "mkdir d; put f1 d/f1; …" with the same -A file, -m SMB3',
        files: 'random bytes in the page cache (written just before)',
        share: onTmpfs ? 'tmpfs (mounted over the share directory)' : 'the same disk (sync before each run)',
        memory:
          'process.memoryUsage() and /proc/<smbclient>/status VmHWM sampled every 10 ms while copying; idle = median of 20 samples in the 200 ms before',
      },
      throughput,
      memory: { ours: memoryOurs, smbclientPut: memoryPlain },
    });
    log(`\nwritten ${file} — bench took ${durationS} s`);
  } finally {
    await transport.close();
    await samba.halt();
    if (onTmpfs) spawnSync('umount', [samba.shareDir]);
    await samba.stop();
    rmSync(local, { recursive: true, force: true });
  }
}

await main();
