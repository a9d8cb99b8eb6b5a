import { Writable } from 'node:stream';
import winston from 'winston';
import { formatJson, formatText, type LogRecord } from './format.ts';
import { redactString, redactValue, SecretRegistry } from './redact.ts';

export type { LogRecord } from './format.ts';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];
export type LogFormat = 'auto' | 'json' | 'text';
export type LogFields = Record<string, unknown>;

/** The namespaces the daemon logs under; one child logger each. */
export type LogNamespace =
  | 'ami'
  | 'zendesk'
  | 'calls'
  | 'sync'
  | 'recordings'
  | 'share'
  | 'config'
  | 'daemon'
  | 'ops'
  | 'sim';

export interface Logger {
  error(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  /** Lazy variant so hot paths pay nothing for debug lines that are switched off. */
  debug(msg: string | (() => string), fields?: LogFields | (() => LogFields)): void;
  isDebugEnabled(): boolean;
  /** A namespaced child (`ami`, `zendesk`, …); fields bound so far are kept. */
  child(ns: LogNamespace): Logger;
  /** A child that adds context fields (callId, queue, agent) to every line. */
  with(fields: LogFields): Logger;
  /** Changes the level of this logger's whole family. */
  setLevel(level: LogLevel): void;
  /** Values to blank out wherever they appear in a line (resolved config secrets). */
  readonly secrets: SecretRegistry;
  /** Resolves once everything logged so far has been handed to the stream. */
  flush(): Promise<void>;
  /**
   * Hears every record this logger's family writes, already redacted (the error ring of
   * `cti-bridge status`). Returns the function that stops listening.
   */
  tap(listener: LogTap): () => void;
}

export type LogTap = (record: LogRecord) => void;

export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  /** Defaults to stdout. `auto` chooses text when this stream is a TTY, JSON otherwise. */
  stream?: Writable & { isTTY?: boolean };
  secrets?: SecretRegistry;
  /** Clock for timestamps, injectable so tests get stable lines. */
  now?: () => Date;
}

const NS = Symbol('ns');
const FIELDS = Symbol('fields');

export function createLogger(options: LoggerOptions = {}): Logger {
  const stream = options.stream ?? process.stdout;
  const secrets = options.secrets ?? new SecretRegistry();
  const now = options.now ?? (() => new Date());
  const format = options.format ?? 'auto';
  const asJson = format === 'json' || (format === 'auto' && !stream.isTTY);
  const render = asJson ? formatJson : formatText;
  const taps = new Set<LogTap>();

  const toLine = winston.format((info) => {
    const record: LogRecord = {
      time: now().toISOString(),
      level: String(info.level),
      ns: info[NS] as string | undefined,
      msg: redactString(String(info.message), secrets),
      fields: redactValue(info[FIELDS] ?? {}, secrets) as Record<string, unknown>,
    };
    info[Symbol.for('message')] = render(record);
    for (const tap of taps) {
      try {
        tap(record);
      } catch {
        // A listener's failure must never cost the line itself.
      }
    }
    return info;
  });

  const root = winston.createLogger({
    level: options.level ?? 'info',
    levels: { error: 0, warn: 1, info: 2, debug: 3 },
    format: toLine(),
    transports: [new winston.transports.Stream({ stream })],
    exitOnError: false,
  });

  const make = (ns: string | undefined, bound: LogFields): Logger => {
    const write = (level: LogLevel, msg: string, fields?: LogFields) => {
      root.log({ level, message: msg, [NS]: ns, [FIELDS]: fields ? { ...bound, ...fields } : bound });
    };
    return {
      error: (msg, fields) => write('error', msg, fields),
      warn: (msg, fields) => write('warn', msg, fields),
      info: (msg, fields) => write('info', msg, fields),
      debug: (msg, fields) => {
        if (!root.isLevelEnabled('debug')) return;
        write(
          'debug',
          typeof msg === 'function' ? msg() : msg,
          typeof fields === 'function' ? fields() : fields,
        );
      },
      isDebugEnabled: () => root.isLevelEnabled('debug'),
      child: (childNs) => make(childNs, bound),
      with: (fields) => make(ns, { ...bound, ...fields }),
      setLevel: (level) => {
        root.level = level;
      },
      secrets,
      flush: () => new Promise<void>((resolve) => setImmediate(resolve)),
      tap: (listener) => {
        taps.add(listener);
        return () => taps.delete(listener);
      },
    };
  };
  return make(undefined, {});
}

/** A logger that drops everything: for simulators and tools run without one. */
export function silentLogger(): Logger {
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
  return createLogger({ level: 'error', format: 'json', stream: sink });
}
