import { Writable } from 'node:stream';
import { after } from 'node:test';
import { createLogger, type Logger, type LoggerOptions } from '../../src/log/logger.ts';
import { leakedSecrets } from './test-secrets.ts';

export interface CapturedLogs {
  logger: Logger;
  /** Each line as written (JSON). */
  lines: string[];
  records(): Array<Record<string, unknown>>;
}

const captured: Array<{ label: string; lines: string[] }> = [];

// One check per test file: after its tests, every line captured in this process is grepped for
// the test secrets. A leak fails the file, naming the secret and the capture, not the value.
after(() => {
  const leaks = captured.flatMap(({ label, lines }) =>
    leakedSecrets(lines.join('\n')).map((name) => `${name} in ${label}`),
  );
  if (leaks.length > 0) throw new Error(`test secrets reached log output: ${leaks.join(', ')}`);
});

/** A real logger (the production one) writing JSON lines into memory. */
export function captureLogs(options: Omit<LoggerOptions, 'stream' | 'format'> = {}): CapturedLogs {
  const lines: string[] = [];
  captured.push({ label: 'an in-process logger', lines });
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(line);
      done();
    },
  });
  const logger = createLogger({ level: 'debug', ...options, format: 'json', stream });
  return { logger, lines, records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

/** Registers output of a child process (stdout + stderr) for the same secret check. */
export function captureOutput(label: string): (chunk: Buffer | string) => void {
  const lines: string[] = [];
  captured.push({ label, lines });
  return (chunk) => {
    lines.push(String(chunk));
  };
}
