/** Turns one redacted log record into a line: JSON for journald/pipes, `key=value` text on a terminal. */

export interface LogRecord {
  time: string;
  level: string;
  ns: string | undefined;
  msg: string;
  fields: Record<string, unknown>;
}

export function formatJson(record: LogRecord): string {
  const { time, level, ns, msg, fields } = record;
  return JSON.stringify({ time, level, ...(ns ? { ns } : {}), msg, ...fields });
}

export function formatText(record: LogRecord): string {
  const { time, level, ns, msg, fields } = record;
  const pairs = Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${textValue(value)}`);
  const head = `${time} ${level.toUpperCase().padEnd(5)} ${ns ? `[${ns}] ` : ''}${msg}`;
  return pairs.length > 0 ? `${head}  ${pairs.join(' ')}` : head;
}

function textValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /^[^\s"=]+$/.test(text) ? text : JSON.stringify(text);
}
