import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explain, parseListing, problemIn } from '../../src/share/smbclient-output.ts';
import { pathProblem } from '../../src/share/smbclient-transport.ts';

// Lines as smbclient 4.17 printed them against smbd 4.17 (see smbclient-session.ts).

test('an ls answer: files and folders with sizes, names with blanks, footer skipped', () => {
  const entries = parseListing([
    '  .                                   D        0  Sun Nov 22 01:58:05 2026',
    '  ..                                  D        0  Sun Nov 22 02:11:28 2026',
    '  b                                   D        0  Sun Nov 22 01:58:41 2026',
    '  big.partial                         A 90177536  Sun Nov 22 02:10:01 2026',
    '  with space.wav                      A  5000000  Sun Nov  2 02:11:28 2026',
    '  a-very-long-recording-name-beyond-thirty-chars.wav      A 209715200  Sun Nov 22 02:11:28 2026',
    '',
    '\t\t264212084 blocks of size 1024. 82387108 blocks available',
  ]);
  assert.deepEqual(entries, [
    { name: 'b', directory: true, size: 0 },
    { name: 'big.partial', directory: false, size: 90177536 },
    { name: 'with space.wav', directory: false, size: 5000000 },
    { name: 'a-very-long-recording-name-beyond-thirty-chars.wav', directory: false, size: 209715200 },
  ]);
});

test('failures are classified by NT_STATUS code; the most telling one wins', () => {
  const cases: Array<[string[], string, boolean]> = [
    [['session setup failed: NT_STATUS_LOGON_FAILURE'], 'auth', false],
    [['session setup failed: NT_STATUS_ACCOUNT_LOCKED_OUT'], 'auth', false],
    [['tree connect failed: NT_STATUS_BAD_NETWORK_NAME'], 'no-share', false],
    [['NT_STATUS_ACCESS_DENIED opening remote file \\ro\\x.partial'], 'denied', false],
    [
      ['do_connect: Connection to 127.0.0.1 failed (Error NT_STATUS_CONNECTION_REFUSED)'],
      'unreachable',
      true,
    ],
    [['Connection to nas.example failed'], 'unreachable', true],
    [['NT_STATUS_CONNECTION_DISCONNECTED closing remote file \\a\\big.partial'], 'unreachable', true],
    // A full disk breaks the connection too: `full` explains it, and the session is lost.
    [
      [
        'cli_push returned NT_STATUS_DISK_FULL',
        'NT_STATUS_INVALID_NETWORK_RESPONSE closing remote file \\x.partial',
      ],
      'full',
      true,
    ],
    [['NT_STATUS_SHARING_VIOLATION opening remote file \\x'], 'other', false],
  ];
  for (const [lines, kind, lost] of cases) {
    const problem = problemIn(lines);
    assert.equal(problem?.kind, kind, lines.join(' | '));
    assert.equal(problem?.sessionLost, lost, lines.join(' | '));
  }
});

test('what a successful command prints is no failure; strict counts any other line', () => {
  assert.equal(
    problemIn(['putting file /x as \\a\\x.partial (1.0 kb/s)'], { ignore: /^putting file /, strict: true }),
    undefined,
  );
  assert.equal(
    problemIn(['NT_STATUS_OBJECT_NAME_COLLISION making remote directory \\a'], {
      tolerate: new Set(['OBJECT_NAME_COLLISION']),
      strict: true,
    }),
    undefined,
  );
  const local = problemIn(['/var/spool/x.wav does not exist'], { strict: true });
  assert.equal(local?.kind, 'other');
  assert.equal(local && explain(local), 'the local file could not be read');
  assert.equal(problemIn(['something unexpected']), undefined, 'lenient for ls');
  assert.equal(problemIn(['something unexpected'], { strict: true })?.kind, 'other');
});

test('admin words for the common codes', () => {
  const words = (line: string) => {
    const problem = problemIn([line]);
    assert.ok(problem, line);
    return explain(problem);
  };
  assert.equal(words('session setup failed: NT_STATUS_LOGON_FAILURE'), 'wrong user name or password');
  assert.equal(words('cli_push returned NT_STATUS_DISK_FULL'), 'no space left on the share');
  assert.match(words('Connection to h failed (Error NT_STATUS_CONNECTION_REFUSED)'), /^connection refused/);
});

test('paths smbclient cannot carry are named', () => {
  assert.equal(
    pathProblem('Callcenter/Berlin/RecordedCalls/2026/11/22/1795311222.0-+4930123456.wav', false),
    undefined,
  );
  assert.equal(pathProblem('Call Center/Aufnahmen Qualität/x.wav', false), undefined);
  assert.equal(pathProblem('', true), undefined);
  for (const bad of [
    '',
    'a"b',
    'a;b',
    'a\nb',
    'a\\b',
    '/a',
    'a//b',
    'a/../b',
    './a',
    'a/*',
    'a?',
    'a:b',
    'a\tb',
  ]) {
    assert.ok(pathProblem(bad, false), JSON.stringify(bad));
  }
});
