import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Loader for the shared AMI fixtures recorded on a real Asterisk 22: `*.ami` (raw socket bytes),
 * `*.chunks.jsonl` (socket reads), `*.jsonl` (one line per message, both directions) and
 * `*.meta.json` (what was driven). They live beside the repository, not in it.
 */

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `$CTI_SHARED_FIXTURES`, else `../shared/fixtures` next to the repository. */
export function sharedFixturesDir(): string {
  return process.env.CTI_SHARED_FIXTURES ?? path.resolve(repoRoot, '..', 'shared', 'fixtures');
}

export function amiFixturesDir(): string {
  return path.join(sharedFixturesDir(), 'ami');
}

export interface TranscriptChunk {
  t_ms: number;
  offset: number;
  len: number;
}

export interface TranscriptLine {
  t_ms: number;
  dir: 'in' | 'out';
  kind: 'banner' | 'response' | 'event' | 'action';
  name: string;
  raw: string;
  /** Parsed fields; a repeated key holds an array. */
  fields: Record<string, string | string[]>;
}

export interface Transcript {
  /** e.g. `a_known_caller_answered_caller_hangup`. */
  name: string;
  bytes: Buffer;
  chunks: TranscriptChunk[];
  lines: TranscriptLine[];
  meta: Record<string, unknown>;
}

function readJsonl<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

/** Scenario names, sorted (`a_…`, `b_…`, …). */
export function listTranscripts(): string[] {
  return readdirSync(amiFixturesDir())
    .filter((f) => f.endsWith('.ami'))
    .map((f) => f.slice(0, -'.ami'.length))
    .sort();
}

/** By full name or by its scenario letter (`'a'`). */
export function loadTranscript(nameOrLetter: string): Transcript {
  const name =
    nameOrLetter.length === 1
      ? listTranscripts().find((n) => n.startsWith(`${nameOrLetter}_`))
      : nameOrLetter;
  if (!name) throw new Error(`no AMI transcript for scenario ${nameOrLetter}`);
  const base = path.join(amiFixturesDir(), name);
  return {
    name,
    bytes: readFileSync(`${base}.ami`),
    chunks: readJsonl<TranscriptChunk>(`${base}.chunks.jsonl`),
    lines: readJsonl<TranscriptLine>(`${base}.jsonl`),
    meta: JSON.parse(readFileSync(`${base}.meta.json`, 'utf8')) as Record<string, unknown>,
  };
}

/** The messages Asterisk sent (responses and events), without the banner. */
export function receivedMessages(t: Transcript): TranscriptLine[] {
  return t.lines.filter((l) => l.dir === 'in' && l.kind !== 'banner');
}

/** The events Asterisk sent, without the given names (e.g. FullyBooted, OriginateResponse). */
export function receivedEvents(t: Transcript, without: readonly string[] = []): TranscriptLine[] {
  return t.lines.filter((l) => l.dir === 'in' && l.kind === 'event' && !without.includes(l.name));
}

/** The actions the recording client sent. */
export function sentActions(t: Transcript): TranscriptLine[] {
  return t.lines.filter((l) => l.dir === 'out');
}
