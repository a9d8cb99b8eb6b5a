/**
 * The hottest functions of a `node --cpu-prof` profile, by self and by inclusive time, for a
 * terminal without DevTools:
 *
 *   node bench/lib/cpu-profile-top.ts <file.cpuprofile | directory> [top=30]
 *
 * (`node bench/answer-overhead.ts --cpu-prof` leaves the daemon's profiles in a directory.)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function label(n: ProfileNode): string {
  const url = n.callFrame.url.replace(/^.*\/(node_modules\/[^/]+|src|bench|test)\//, '$1/');
  return `${n.callFrame.functionName || '(anonymous)'} ${url}:${n.callFrame.lineNumber + 1}`;
}

export function summarise(profile: Profile, top: number): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfTime = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const total = [...selfTime.values()].reduce((a, b) => a + b, 0);
  const bySelf = new Map<string, number>();
  const byTotal = new Map<string, number>();
  for (const [id, t] of selfTime) {
    const own = label(byId.get(id)!);
    bySelf.set(own, (bySelf.get(own) ?? 0) + t);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const l = label(byId.get(cur)!);
      if (seen.has(l)) continue;
      seen.add(l);
      byTotal.set(l, (byTotal.get(l) ?? 0) + t);
    }
  }
  const list = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(
        ([l, t]) =>
          `${(t / 1000).toFixed(0).padStart(8)} ms ${((100 * t) / total).toFixed(1).padStart(5)} %  ${l}`,
      )
      .join('\n');
  return `sampled ${(total / 1000).toFixed(0)} ms\n-- self\n${list(bySelf)}\n-- inclusive\n${list(byTotal)}\n`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const target = process.argv[2];
  if (!target)
    throw new Error('usage: node bench/lib/cpu-profile-top.ts <file.cpuprofile | directory> [top]');
  const files = statSync(target).isDirectory()
    ? readdirSync(target)
        .filter((f) => f.endsWith('.cpuprofile'))
        .map((f) => path.join(target, f))
    : [target];
  for (const file of files) {
    process.stdout.write(`== ${file}\n`);
    process.stdout.write(
      summarise(JSON.parse(readFileSync(file, 'utf8')) as Profile, Number(process.argv[3] ?? 30)),
    );
  }
}
