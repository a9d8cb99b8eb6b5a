import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AMI_BANNER,
  AmiMessage,
  AmiParser,
  type AmiProblem,
  encodeAmiMessage,
} from '../../src/pbx/ami-codec.ts';
import { listTranscripts, loadTranscript, receivedMessages } from '../support/ami-transcripts.ts';

function parseChunks(chunks: Iterable<Buffer | string>, parser = new AmiParser()): AmiMessage[] {
  const out: AmiMessage[] = [];
  for (const c of chunks) out.push(...parser.feed(c));
  return out;
}

function* bytewise(buf: Buffer): Generator<Buffer> {
  for (let i = 0; i < buf.length; i++) yield buf.subarray(i, i + 1);
}

describe('parsing every shared transcript', () => {
  const names = listTranscripts();
  test('there are transcripts to parse', () => {
    assert.ok(names.length >= 5, `found ${names.length}`);
  });

  for (const name of names) {
    const t = loadTranscript(name);
    const expected = receivedMessages(t).map((l) => l.fields);
    const check = (label: string, chunks: Iterable<Buffer>) => {
      const parser = new AmiParser({ onProblem: (p) => assert.fail(`${label}: ${JSON.stringify(p)}`) });
      const got = parseChunks(chunks, parser).map((m) => m.toObject());
      assert.equal(parser.banner, AMI_BANNER, label);
      assert.deepEqual(got, expected, label);
    };

    test(`${name}: in one piece, byte by byte, and in the recorded reads`, () => {
      check('whole', [t.bytes]);
      check('bytewise', bytewise(t.bytes));
      check(
        'recorded chunks',
        t.chunks.map((c) => t.bytes.subarray(c.offset, c.offset + c.len)),
      );
      assert.equal(
        t.chunks.reduce((n, c) => n + c.len, 0),
        t.bytes.length,
      );
    });
  }
});

describe('AmiParser edge cases', () => {
  test('empty values with and without a space; a value containing ": "', () => {
    const [m] = parseChunks(['AccountCode: \r\nLanguage:\r\nMessage: a: b: c\r\n\r\n']);
    assert.deepEqual(m!.pairs, [
      ['AccountCode', ''],
      ['Language', ''],
      ['Message', 'a: b: c'],
    ]);
  });

  test('repeated keys are kept in order; lookup is case-insensitive', () => {
    const [m] = parseChunks(['Action: Originate\r\nVariable: A=1\r\nVariable: B=2\r\nActionID: x\r\n\r\n']);
    assert.deepEqual(m!.getAll('variable'), ['A=1', 'B=2']);
    assert.equal(m!.get('VARIABLE'), 'A=1');
    assert.equal(m!.get('actionid'), 'x');
    assert.equal(m!.get('Missing'), undefined);
    assert.equal(m!.kind, 'action');
    assert.equal(m!.name, 'Originate');
    assert.deepEqual(m!.toObject().Variable, ['A=1', 'B=2']);
  });

  test('bare \\n line ends and CRLF split across chunks', () => {
    const got = parseChunks(['Event: A\nX: 1\n\nEvent: B\r', '\nY: 2\r', '\n\r', '\n']);
    assert.deepEqual(
      got.map((m) => m.toObject()),
      [
        { Event: 'A', X: '1' },
        { Event: 'B', Y: '2' },
      ],
    );
  });

  test('a UTF-8 character split between chunks survives', () => {
    const bytes = Buffer.from('Event: X\r\nCallerIDName: Jürgen Müller\r\n\r\n');
    const cut = bytes.indexOf(0xc3) + 1;
    const got = parseChunks([bytes.subarray(0, cut), bytes.subarray(cut)]);
    assert.equal(got[0]!.get('CallerIDName'), 'Jürgen Müller');
  });

  test('no banner when the stream starts with a message (server side)', () => {
    const parser = new AmiParser();
    const got = parseChunks(['Action: Ping\r\n\r\n'], parser);
    assert.equal(parser.banner, undefined);
    assert.equal(got[0]!.get('Action'), 'Ping');
  });

  test('a line without a colon is reported and skipped, the message survives', () => {
    const problems: AmiProblem[] = [];
    const got = parseChunks(
      ['Event: X\r\ngarbage line\r\nY: 1\r\n\r\n'],
      new AmiParser({ onProblem: (p) => problems.push(p) }),
    );
    assert.deepEqual(problems, [{ kind: 'malformed-line', line: 'garbage line' }]);
    assert.deepEqual(got[0]!.toObject(), { Event: 'X', Y: '1' });
  });

  test('blank lines between messages are ignored', () => {
    const got = parseChunks(['\r\n\r\nEvent: X\r\n\r\n\r\n']);
    assert.equal(got.length, 1);
  });

  test('an oversized message is dropped whole and the next one parses', () => {
    const problems: AmiProblem[] = [];
    const parser = new AmiParser({ maxMessageBytes: 100, onProblem: (p) => problems.push(p) });
    const big = `Event: Big\r\n${'K: vvvvvvvvvvvvvvvvvvvvvv\r\n'.repeat(20)}\r\n`;
    const got = parseChunks([big, 'Event: Small\r\n\r\n'], parser);
    assert.deepEqual(
      got.map((m) => m.name),
      ['Small'],
    );
    assert.deepEqual(problems, [{ kind: 'oversized-message', limit: 100 }]);
  });

  test('one endless line is dropped without buffering it', () => {
    const problems: AmiProblem[] = [];
    const parser = new AmiParser({ maxMessageBytes: 100, onProblem: (p) => problems.push(p) });
    const got = parseChunks(
      ['Event: Big\r\nX: ', 'y'.repeat(150), 'y'.repeat(150), '\r\nZ: 1\r\n\r\nEvent: Next\r\n\r\n'],
      parser,
    );
    assert.deepEqual(
      got.map((m) => m.name),
      ['Next'],
    );
    assert.equal(problems.length, 1);
  });
});

describe('encodeAmiMessage', () => {
  test('pairs keep order and repeats; records expand arrays and skip undefined', () => {
    assert.equal(
      encodeAmiMessage([
        ['Action', 'Ping'],
        ['ActionID', '1'],
      ]),
      'Action: Ping\r\nActionID: 1\r\n\r\n',
    );
    assert.equal(
      encodeAmiMessage({ Action: 'Originate', Variable: ['A=1', 'B=2'], Async: true, Skip: undefined, N: 3 }),
      'Action: Originate\r\nVariable: A=1\r\nVariable: B=2\r\nAsync: true\r\nN: 3\r\n\r\n',
    );
  });

  test('line breaks inside values cannot inject fields', () => {
    const text = encodeAmiMessage({ Action: 'Getvar', Variable: 'X\r\nAction: Logoff' });
    assert.equal(text, 'Action: Getvar\r\nVariable: X  Action: Logoff\r\n\r\n');
  });

  test('round trip through the parser, messages included', () => {
    const pairs: [string, string][] = [
      ['Event', 'Hangup'],
      ['AccountCode', ''],
      ['Cause-txt', 'Normal Clearing'],
      ['Variable', 'A=1'],
      ['Variable', 'B=2'],
    ];
    const [m] = parseChunks([encodeAmiMessage(pairs)]);
    assert.deepEqual(m!.pairs, pairs);
    assert.equal(encodeAmiMessage(m!), encodeAmiMessage(pairs));
    assert.equal(encodeAmiMessage(new AmiMessage(pairs)), encodeAmiMessage(pairs));
  });
});
