import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keyOf, PhoneBook } from '../../src/mirror/phone-book.ts';
import { captureLogs } from '../support/log-capture.ts';

// The book logs nothing; the capture registers the suite's secret check for this file too.
captureLogs();

const byValue = (a: number, b: number) => a - b;
const ERIKA = 370_000_005;
const MAX = 370_000_007;
const MARIA = 370_000_008;

test('numbers → users: one user, a shared number, several numbers of one user', () => {
  const book = new PhoneBook();
  book.set(ERIKA, 'Erika Mustermann', [4930123456]);
  book.set(MAX, 'Max Mustermann', [49405550000]);
  book.set(MARIA, 'Maria Mustermann', [49405550000, 491701234567]);
  assert.deepEqual(book.usersWith(4930123456), [ERIKA]);
  assert.deepEqual(book.usersWith(49405550000).sort(byValue), [MAX, MARIA]);
  assert.deepEqual(book.usersWith(491701234567), [MARIA]);
  assert.deepEqual(book.usersWith(4930999999), []);
  assert.equal(book.nameOf(MARIA), 'Maria Mustermann');
  assert.deepEqual(book.numbersOf(MARIA).sort(byValue), [49405550000, 491701234567]);
  assert.equal(book.numbers, 4);
  assert.equal(book.users, 3);
});

test('set replaces a user’s numbers and name; no numbers, or delete, removes the user', () => {
  const book = new PhoneBook();
  book.set(MAX, 'Max Mustermann', [49405550000]);
  book.set(MARIA, 'Maria Mustermann', [49405550000]);
  book.set(MAX, 'Max M.', [4930111111, 4930111111]);
  assert.deepEqual(book.usersWith(49405550000), [MARIA], 'the old number is gone');
  assert.deepEqual(book.usersWith(4930111111), [MAX], 'a number given twice is held once');
  assert.equal(book.nameOf(MAX), 'Max M.');
  book.set(MARIA, 'Maria Mustermann', []);
  assert.equal(book.has(MARIA), false);
  assert.deepEqual(book.usersWith(49405550000), []);
  book.delete(MAX);
  book.delete(MAX);
  assert.equal(book.numbers, 0);
  assert.equal(book.users, 0);
  assert.equal(book.nameOf(MAX), undefined);
});

test('add keeps the other numbers and says whether the number is new', () => {
  const book = new PhoneBook();
  assert.equal(book.add(ERIKA, 'Erika Mustermann', 4930123456), true);
  assert.equal(book.add(ERIKA, 'ignored', 4930123456), false);
  assert.equal(book.add(ERIKA, 'ignored', 4930777777), true);
  assert.deepEqual(book.numbersOf(ERIKA).sort(byValue), [4930123456, 4930777777]);
  assert.equal(book.nameOf(ERIKA), 'Erika Mustermann', 'the name is the first one given');
});

test('long and non-Latin names are kept short and intact', () => {
  const book = new PhoneBook();
  book.set(1, 'Ä'.repeat(300), [4930000001]);
  book.set(2, '山田太郎 株式会社', [4930000002]);
  assert.equal(book.nameOf(1), 'Ä'.repeat(100));
  assert.equal(book.nameOf(2), '山田太郎 株式会社');
});

test('100,000 users churning (renames, moves, deletes) stay consistent with a plain Map, and rows are reused', () => {
  const book = new PhoneBook();
  const model = new Map<number, { name: string; keys: number[] }>();
  let seed = 42;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  for (let i = 0; i < 100_000; i++) {
    const id = 10_000_000_000 + Math.floor(random() * 30_000);
    const r = random();
    if (r < 0.15) {
      book.delete(id);
      model.delete(id);
    } else {
      const keys = Array.from({ length: 1 + Math.floor(random() * 3) }, () =>
        Math.floor(4_930_000_000 + random() * 50_000),
      );
      const name = `Customer ${Math.floor(random() * 1e6)}`;
      book.set(id, name, keys);
      model.set(id, { name, keys: [...new Set(keys)] });
    }
  }
  const byKey = new Map<number, number[]>();
  let numbers = 0;
  for (const [id, { keys }] of model) {
    numbers += keys.length;
    for (const key of keys) byKey.set(key, [...(byKey.get(key) ?? []), id]);
  }
  assert.equal(book.users, model.size);
  assert.equal(book.numbers, numbers);
  for (const [id, { name, keys }] of model) {
    assert.equal(book.nameOf(id), name);
    assert.deepEqual(book.numbersOf(id).sort(byValue), [...keys].sort(byValue));
  }
  for (let key = 4_930_000_000; key < 4_930_050_000; key += 7) {
    assert.deepEqual(book.usersWith(key).sort(byValue), (byKey.get(key) ?? []).sort(byValue));
  }
  // Freed rows are reused: the tables hold what is live plus growth slack, not every row ever made.
  assert.ok(book.bytes < 12_000_000, `${book.bytes} bytes`);
});

test('keyOf: E.164 up to 15 digits is a key; anything else has none', () => {
  assert.equal(keyOf('+4930123456'), 4930123456);
  assert.equal(keyOf('+123456789012345'), 123456789012345);
  assert.equal(keyOf('+1234567890123456'), undefined, '16 digits: beyond E.164 and safe integers');
  assert.equal(keyOf('4930123456'), undefined);
  assert.equal(keyOf('+0301234'), undefined);
});
