/**
 * Test-only preload (`node --import` of this file, see test/systemd/notify.test.ts): lets a test
 * make a daemon process's event loop stall, to see the systemd watchdog react. Nothing in src/
 * knows of it; a daemon started without the preload has no such hook.
 *
 * A line `stall <blockMs> <gapMs> <forMs>` on the process's stdin blocks the loop for blockMs at
 * a time, with gapMs in between in which timers run (late), until forMs have passed: a daemon
 * that still ticks but is not healthy.
 */
const blocker = new Int32Array(new SharedArrayBuffer(4));
let input = '';

process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  input += chunk;
  const lines = input.split('\n');
  input = lines.pop() ?? '';
  for (const line of lines) {
    const match = /^stall (\d+) (\d+) (\d+)$/.exec(line.trim());
    if (match) stall(Number(match[1]), Number(match[2]), Number(match[3]));
  }
});

function stall(blockMs: number, gapMs: number, forMs: number): void {
  const end = Date.now() + forMs;
  const step = () => {
    if (Date.now() >= end) return;
    // Blocks this thread without burning a core (nothing ever notifies the address).
    Atomics.wait(blocker, 0, 0, blockMs);
    setTimeout(step, gapMs);
  };
  step();
}
