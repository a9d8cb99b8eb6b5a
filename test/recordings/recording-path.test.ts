import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import {
  insideDirectory,
  recordingRelativePath,
  sharePath,
  UnsafeCallIdError,
} from '../../src/recordings/recording-path.ts';

const ANSWERED = new Date(2026, 10, 22, 9, 30).getTime(); // local time, as the folders are

test('a recording goes to <yyyy>/<mm>/<dd>/<call id>.wav by the local day it was answered', () => {
  assert.equal(recordingRelativePath('1795306004.26', ANSWERED), '2026/11/22/1795306004.26.wav');
  assert.equal(recordingRelativePath('zd-1795306004.26', ANSWERED), '2026/11/22/zd-1795306004.26.wav');
});

test('call ids that could leave the recordings directory never become file names', () => {
  for (const evil of [
    '../../etc/x',
    '..',
    '.',
    '/etc/passwd',
    'a/b',
    'a\\b',
    '',
    'x\ny',
    '.hidden',
    'a..b',
    'x'.repeat(200),
  ]) {
    assert.throws(() => recordingRelativePath(evil, ANSWERED), UnsafeCallIdError, JSON.stringify(evil));
  }
});

test('insideDirectory refuses any relative path that resolves outside the root', () => {
  assert.equal(insideDirectory('/srv/rec', '2026/11/22/a.wav'), path.join('/srv/rec', '2026/11/22/a.wav'));
  assert.throws(() => insideDirectory('/srv/rec', '../x.wav'), /leaves the recordings directory/);
  assert.throws(() => insideDirectory('/srv/rec', '/etc/passwd'), /leaves the recordings directory/);
  assert.throws(() => insideDirectory('/srv/rec', ''), /leaves the recordings directory/);
});

test('on the share: always <subdirectory>/RecordedCalls/, forward slashes, as the STARFACE module did', () => {
  assert.equal(sharePath('MeinOrdner', '2026/11/22/a.wav'), 'MeinOrdner/RecordedCalls/2026/11/22/a.wav');
  assert.equal(
    sharePath('Callcenter/Berlin/', '2026/11/22/a.wav'),
    'Callcenter/Berlin/RecordedCalls/2026/11/22/a.wav',
  );
  assert.equal(sharePath('', '2026/11/22/a.wav'), 'RecordedCalls/2026/11/22/a.wav');
  assert.equal(sharePath('./a//b', 'x.wav'), 'a/b/RecordedCalls/x.wav');
});
