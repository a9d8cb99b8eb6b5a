import os from 'node:os';

/** What a figure was measured on: printed above every table and stored with every result. */
export interface MachineFacts {
  /** CPUs this process may use (`os.availableParallelism()`). */
  cores: number;
  cpuModel: string;
  node: string;
  v8: string;
  platform: string;
  arch: string;
  kernel: string;
  totalMemoryMiB: number;
}

export function machineFacts(): MachineFacts {
  const cpus = os.cpus();
  return {
    cores: os.availableParallelism(),
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    node: process.version,
    v8: process.versions.v8,
    platform: process.platform,
    arch: process.arch,
    kernel: os.release(),
    totalMemoryMiB: Math.round(os.totalmem() / 2 ** 20),
  };
}

/** One line: `2 cores, Intel(R) Xeon(R) Processor, 23.5 GiB, Node v24.21.0 (linux x64 6.1.0)`. */
export function describeMachine(m: MachineFacts = machineFacts()): string {
  const gib = (m.totalMemoryMiB / 1024).toFixed(1);
  return `${m.cores} cores, ${m.cpuModel}, ${gib} GiB, Node ${m.node} (${m.platform} ${m.arch} ${m.kernel})`;
}
