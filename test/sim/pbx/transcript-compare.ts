import assert from 'node:assert/strict';
import { type AmiMessage, AmiParser } from '../../../src/pbx/ami-codec.ts';
import type { TranscriptLine } from '../../support/ami-transcripts.ts';

/**
 * Compares the fake PBX's messages with a real transcript: same event names in the same order,
 * same field names in the same order, the same linking structure (ids replaced by tokens in
 * order of first appearance on each side) and the same values for everything that depends
 * neither on identifiers nor on time or the PBX's history.
 */

/** Fields whose values identify channels, calls and bridges. */
export const isLinkField = (key: string): boolean => /(Channel|Uniqueid|Linkedid)$/.test(key);

/** Values that depend on the clock or on calls made before (member counters, uptime). */
export const VOLATILE = new Set([
  'Uptime',
  'LastReload',
  'LoginTime',
  'LastCall',
  'CallsTaken',
  'HoldTime',
  'TalkTime',
  'RingTime',
  'Timestamp',
  'Holdtime',
]);

export function parseRaw(lines: readonly TranscriptLine[]): AmiMessage[] {
  return lines.map((l) => {
    const [m] = new AmiParser().feed(l.raw);
    assert.ok(m, `unparsable transcript line ${l.name}`);
    return m;
  });
}

function linkTokens(messages: readonly AmiMessage[]): string[][] {
  const tokens = new Map<string, string>();
  return messages.map((m) =>
    m.pairs
      .filter(([k, v]) => isLinkField(k) && v !== '')
      .map(([k, v]) => {
        let t = tokens.get(v);
        if (!t) {
          t = `#${tokens.size}`;
          tokens.set(v, t);
        }
        return `${k}=${t}`;
      }),
  );
}

const stableValues = (m: AmiMessage, ignore: ReadonlySet<string>) =>
  m.pairs.filter(([k]) => !isLinkField(k) && !VOLATILE.has(k) && !ignore.has(k)).map(([k, v]) => `${k}=${v}`);

export function assertSameStream(
  actual: readonly AmiMessage[],
  expected: readonly AmiMessage[],
  ignoreValues: ReadonlySet<string> = new Set(),
): void {
  assert.deepEqual(
    actual.map((m) => m.name),
    expected.map((m) => m.name),
    'event names and order',
  );
  const at = (i: number) => `message ${i} (${expected[i]!.name})`;
  for (let i = 0; i < expected.length; i++) {
    assert.deepEqual(
      actual[i]!.pairs.map(([k]) => k),
      expected[i]!.pairs.map(([k]) => k),
      `${at(i)}: field names`,
    );
  }
  const actualLinks = linkTokens(actual);
  const expectedLinks = linkTokens(expected);
  for (let i = 0; i < expected.length; i++) {
    assert.deepEqual(actualLinks[i], expectedLinks[i], `${at(i)}: linking fields`);
  }
  for (let i = 0; i < expected.length; i++) {
    assert.deepEqual(
      stableValues(actual[i]!, ignoreValues),
      stableValues(expected[i]!, ignoreValues),
      `${at(i)}: values`,
    );
  }
}
