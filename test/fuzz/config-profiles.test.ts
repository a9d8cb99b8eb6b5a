import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { checkProfileText, loadProfile, type ProfileFile } from '../../src/config/load-profile.ts';
import { isSecretField, profileFields } from '../../src/config/schema-walk.ts';
import { type Random, randomInt, seededRandom } from '../../src/sim/pbx/prng.ts';
import { validProfile } from '../config/fixtures.ts';
import { captureOutput } from '../support/log-capture.ts';
import { leakedSecrets, TEST_SECRET_ENV, TEST_SECRETS } from '../support/test-secrets.ts';

// Profiles made from the example and the test fixture by mutation: keys dropped, wrong types,
// unknown keys, literal secrets, YAML anchors and tags, duplicate keys, deep nesting, huge files,
// broken bytes. loadProfile must never throw; an invalid profile is refused with one readable line
// per problem naming the key (or the YAML line and column). `config validate` exits 1, no stack.
// FUZZ_SEED=<n> replays a run; FUZZ_SEED=random picks a new one.

const SEED =
  process.env.FUZZ_SEED === 'random'
    ? Math.floor(Math.random() * 2 ** 31)
    : Number(process.env.FUZZ_SEED ?? 0xc0f1_6);
const PROFILES = 1_500;
const CLI_SAMPLE = 50;

/** The file's figures, printed as one line when it ends. */
const totals = { profiles: 0, refused: 0, crashes: 0, cliRuns: 0, cliExit1: 0, cliStacks: 0 };
after(() =>
  console.log(
    `fuzz config-profiles: seed ${SEED}, ${totals.profiles} generated profiles through loadProfile ` +
      `(${totals.refused} refused), ${totals.crashes} crashes; config validate on ${totals.cliRuns}: ` +
      `${totals.cliExit1} exited 1, ${totals.cliStacks} stack traces`,
  ),
);
const BIN = path.resolve(import.meta.dirname, '../../bin/cti-bridge.js');
const EXAMPLE = readFileSync(path.resolve(import.meta.dirname, '../../config/example.yaml'), 'utf8');

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = Array<string | number>;

interface Generated {
  text: string;
  what: string[];
  /** Set when the mutation certainly makes the profile invalid: some problem must name this key. */
  mustName?: Path;
  /** Any problem will do, at any key or YAML position. */
  mustFail?: boolean;
}

/** Keys of the schema's fixed sections (not maps like `queues`): an unknown key there is refused. */
const OBJECT_SECTIONS: Path[] = [
  [],
  ...profileFields()
    .filter((f) => f.schema.properties !== undefined && !f.path.includes('*'))
    .map((f) => f.path),
];
const SECRET_PATHS: Path[] = profileFields()
  .filter((f) => f.schema.secret === true && !f.path.includes('*'))
  .map((f) => f.path);

function allPaths(node: Json, prefix: Path = [], out: Path[] = []): Path[] {
  if (node !== null && typeof node === 'object') {
    for (const [key, child] of Array.isArray(node) ? node.entries() : Object.entries(node)) {
      const p = [...prefix, key];
      out.push(p);
      allPaths(child, p, out);
    }
  }
  return out;
}

function at(root: Json, p: Path): Json | undefined {
  let node: Json | undefined = root;
  for (const key of p) {
    if (node === null || typeof node !== 'object') return undefined;
    node = Array.isArray(node)
      ? node[key as number]
      : Object.hasOwn(node, key)
        ? node[key as string]
        : undefined;
  }
  return node;
}

/** Sets (or with `undefined`, deletes) the value at `p`, creating mappings on the way. */
function put(root: Json, p: Path, value: Json | undefined): void {
  let node = root as Record<string | number, Json>;
  for (const key of p.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== 'object') {
      Object.defineProperty(node, key, { value: {}, enumerable: true, writable: true, configurable: true });
    }
    node = node[key] as Record<string | number, Json>;
  }
  const last = p.at(-1)!;
  if (value === undefined) {
    if (Array.isArray(node)) node.splice(last as number, 1);
    else delete node[last];
  } else {
    // defineProperty: a key named __proto__ becomes a key, not the prototype
    Object.defineProperty(node, last, { value, enumerable: true, writable: true, configurable: true });
  }
}

function jsonType(value: Json | undefined): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}

class ProfileGenerator {
  readonly #rnd: Random;
  readonly kinds: Record<string, number> = {};

  constructor(seed: number) {
    this.#rnd = seededRandom(seed);
  }

  #int(min: number, max: number): number {
    return randomInt(this.#rnd, min, max);
  }

  #pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.#rnd() * items.length)]!;
  }

  #note(g: Generated, kind: string): void {
    g.what.push(kind);
    this.kinds[kind] = (this.kinds[kind] ?? 0) + 1;
  }

  #oddValue(depth = 0): Json {
    switch (this.#int(0, 14)) {
      case 0:
        return this.#pick([42, -1, 0, 3.5, 1e308, -1e308, 2 ** 53 + 1, 70_000, 1e-9]);
      case 1:
        return this.#pick(['', ' ', 'x', 'yes', 'no', 'null', '~', '0x1F', '1e400', '.inf', 'env:', 'file:']);
      case 2:
        return 'a'.repeat(this.#int(1, 20_000));
      case 3:
        return this.#pick([
          '🙂',
          'Grüße',
          '\u0000',
          '\u0007bell',
          'line\nbreak',
          '"quoted"',
          "it's",
          '#hash',
          '- dash',
        ]);
      case 4:
        return this.#pick([true, false]);
      case 5:
        return null;
      case 6:
        return [];
      case 7:
        return {};
      case 8:
        return depth < 4 ? [this.#oddValue(depth + 1), this.#oddValue(depth + 1)] : 1;
      case 9:
        return depth < 4
          ? { [this.#pick(['a', 'host', 'type', '__proto__', 'constructor'])]: this.#oddValue(depth + 1) }
          : 'x';
      case 10: {
        let nested: Json = 'bottom';
        for (let i = this.#int(10, 200); i > 0; i--) nested = { n: nested };
        return nested;
      }
      case 11:
        return { toString: 1, valueOf: {} };
      case 12:
        return this.#pick([
          'env:NOT_SET_ANYWHERE',
          'env:lower-case',
          'file:/nonexistent/secret',
          'file:relative',
        ]);
      default:
        return Array.from({ length: this.#int(1, 50) }, (_, i) => `item${i}`);
    }
  }

  next(): Generated {
    const base = this.#rnd() < 0.5 ? validProfile() : EXAMPLE;
    const g: Generated = { text: base, what: [] };
    const r = this.#rnd();
    if (r < 0.55) this.#objectMutations(g);
    if (r >= 0.35) {
      // Text edits may cut, hide or re-key what the object edits did: only their own verdict holds.
      g.mustName = undefined;
      g.mustFail = undefined;
      this.#textMutations(g);
    }
    return g;
  }

  #objectMutations(g: Generated): void {
    const doc = parse(g.text) as Json;
    const paths = allPaths(doc);
    // What a mutation planted must still be there after the later ones to decide the verdict.
    const planted: Array<{ path: Path; value: Json; name: boolean }> = [];
    for (let n = this.#int(1, 3); n > 0; n--) {
      const r = this.#rnd();
      if (r < 0.25) {
        const p = this.#pick(paths);
        put(doc, p, undefined);
        this.#note(g, 'drop-key');
      } else if (r < 0.55) {
        const p = this.#pick(paths);
        const before = at(doc, p);
        const value = this.#oddValue();
        put(doc, p, value);
        this.#note(g, 'wrong-type');
        // certainly wrong: a string, number or boolean turned into another of those, a list or a map
        const from = jsonType(before);
        const to = jsonType(value);
        const scalar = ['string', 'number', 'boolean'];
        if (
          scalar.includes(from) &&
          from !== to &&
          to !== 'null' &&
          typeof p.at(-1) === 'string' &&
          !isSecretField(p)
        ) {
          planted.push({ path: p, value, name: true });
        }
      } else if (r < 0.75) {
        const section = this.#pick(OBJECT_SECTIONS);
        if (at(doc, section) === undefined) continue;
        const node = at(doc, section);
        if (node === null || typeof node !== 'object' || Array.isArray(node)) continue;
        const key = this.#pick([
          'paswd',
          'secrte',
          'hots',
          'prot',
          'activ',
          '__proto__',
          'constructor',
          'toString',
          'x'.repeat(300),
          'ключ',
          'a.b',
          '[0]',
          '"q"',
          'extra',
        ]);
        if (Object.hasOwn(node, key)) continue;
        const value = this.#oddValue();
        put(doc, [...section, key], value);
        this.#note(g, 'unknown-key');
        planted.push({ path: [...section, key], value, name: true });
      } else if (r < 0.9) {
        const p = this.#pick(SECRET_PATHS);
        const secret = this.#pick(Object.values(TEST_SECRETS));
        put(doc, p, secret);
        this.#note(g, 'literal-secret');
        planted.push({ path: p, value: secret, name: false });
      } else {
        // a secret under a key the schema does not know, mistyped
        const p = ['pbx', this.#pick(['pasword', 'secret_', 'apiToken', 'token', 'pw'])];
        put(doc, p, TEST_SECRETS.amiSecret);
        this.#note(g, 'secret-under-unknown-key');
        planted.push({ path: p, value: TEST_SECRETS.amiSecret, name: false });
      }
    }
    for (const { path: p, value, name } of planted) {
      if (at(doc, p) !== value) continue; // dropped or overwritten since
      if (name) g.mustName ??= p;
      g.mustFail = true;
    }
    g.text = stringify(doc, { aliasDuplicateObjects: false });
  }

  #textMutations(g: Generated): void {
    for (let n = this.#int(1, 2); n > 0; n--) {
      const r = this.#rnd();
      const lines = g.text.split('\n');
      const valueLine = () => {
        // (an alias could carry a literal secret into a field that quotes its value: not a case here)
        const secrets = Object.values(TEST_SECRETS);
        const candidates = lines
          .map((l, i) => [l, i] as const)
          .filter(([l]) => /^\s*[A-Za-z]\w*: \S/.test(l) && !secrets.some((secret) => l.includes(secret)));
        return candidates.length > 0 ? this.#pick(candidates)[1] : -1;
      };
      if (r < 0.12) {
        // an alias to an earlier value
        const i = valueLine();
        const j = valueLine();
        if (i < 0 || j < 0 || i === j) continue;
        const [a, b] = i < j ? [i, j] : [j, i];
        lines[a] = lines[a]!.replace(/: (.*)$/, ': &anchor $1');
        lines[b] = lines[b]!.replace(/: (.*)$/, ': *anchor');
        g.text = lines.join('\n');
        this.#note(g, 'alias');
      } else if (r < 0.22) {
        const form = this.#pick([
          'extra: &r [*r]',
          'extra: &r { self: *r }',
          'extra: *undefined_anchor',
          'pbx: &p\n  again: *p',
        ]);
        g.text = form.startsWith('pbx') ? g.text.replace(/^pbx:\s*$/m, form) : `${g.text}\n${form}\n`;
        this.#note(g, 'recursive-or-dangling-alias');
        g.mustFail = true;
      } else if (r < 0.27) {
        // billion laughs: aliases of aliases
        let bomb = 'a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n';
        for (let k = 1; k < 9; k++)
          bomb += `a${k}: &a${k} [${Array(9)
            .fill(`*a${k - 1}`)
            .join(', ')}]\n`;
        g.text = `${g.text}\n${bomb}`;
        this.#note(g, 'alias-bomb');
        g.mustFail = true;
      } else if (r < 0.42) {
        const i = valueLine();
        if (i < 0) continue;
        const tag = this.#pick([
          '!!binary aGVsbG8=',
          '!!set {a, b}',
          '!!omap [a: 1]',
          '!!timestamp 2001-12-14',
          '!!float 1',
          '!!str 5038',
          '!!int 0x1F',
          '!!null ""',
          '!custom x',
          '!<tag:yaml.org,2002:int> 7',
          '!!map {}',
          '!!seq []',
          '!!bool yes',
        ]);
        lines[i] = lines[i]!.replace(/: (.*)$/, `: ${tag}`);
        g.text = lines.join('\n');
        this.#note(g, 'tag');
      } else if (r < 0.52) {
        const i = valueLine();
        if (i < 0) continue;
        lines.splice(i + 1, 0, lines[i]!);
        g.text = lines.join('\n');
        this.#note(g, 'duplicate-key');
        g.mustFail = true;
      } else if (r < 0.6) {
        const depth = this.#pick([100, 1_000, 5_000, 20_000]);
        const form = this.#pick(['flow', 'block', 'flow-map']);
        const blockLines = Array.from({ length: Math.min(depth, 3_000) }, (_, k) => `${' '.repeat(k)}k${k}:`);
        const deep =
          form === 'flow'
            ? `deep: ${'['.repeat(depth)}${']'.repeat(depth)}`
            : form === 'flow-map'
              ? `deep: ${'{a: '.repeat(depth)}1${'}'.repeat(depth)}`
              : `${blockLines.join('\n')} 1`;
        g.text = `${g.text}\n${deep}\n`;
        this.#note(g, `deep-${form}`);
        g.mustFail = true;
      } else if (r < 0.615) {
        // huge files are slow to check by nature (a few hundred ms each): a few of them
        const kind = this.#pick(['comment', 'value', 'queues', 'keys']);
        const mb = this.#int(1, 3);
        if (kind === 'comment') g.text += `\n# ${'x'.repeat(mb * 1024 * 1024)}\n`;
        else if (kind === 'value') g.text += `\nhuge: ${'y'.repeat(mb * 1024 * 1024)}\n`;
        else if (kind === 'keys')
          g.text += `\nhuge:\n${Array.from({ length: 20_000 * mb }, (_, k) => `  key${k}: ${k}`).join('\n')}\n`;
        else {
          g.text = g.text.replace(
            /^queues:.*$/m,
            `queues:\n${Array.from({ length: 20_000 }, (_, k) => `  q${k}: { record: ${k % 2 === 0} }`).join('\n')}`,
          );
        }
        this.#note(g, `huge-${kind}`);
        if (kind !== 'comment' && kind !== 'queues') g.mustFail = true;
      } else if (r < 0.75) {
        const bytes = Buffer.from(g.text);
        const form = this.#pick([
          'flip',
          'nul',
          'invalid-utf8',
          'bom',
          'tabs',
          'crlf',
          'truncate',
          'cr-only',
        ]);
        let out: string;
        switch (form) {
          case 'flip':
            for (let k = this.#int(1, 5); k > 0; k--)
              bytes[this.#int(0, bytes.length - 1)] = this.#int(0, 255);
            out = bytes.toString('utf8');
            break;
          case 'nul':
            out = g.text.replace(/: /, ':\u0000 ');
            break;
          case 'invalid-utf8':
            out = Buffer.concat([
              bytes.subarray(0, 40),
              Buffer.from([0xff, 0xfe, 0xc3]),
              bytes.subarray(40),
            ]).toString('utf8');
            break;
          case 'bom':
            out = `\ufeff${g.text}`;
            break;
          case 'tabs':
            out = g.text.replace(/^ {2}/gm, '\t');
            break;
          case 'crlf':
            out = g.text.replace(/\n/g, '\r\n');
            break;
          case 'cr-only':
            out = g.text.replace(/\n/g, '\r');
            break;
          default:
            out = g.text.slice(0, this.#int(0, g.text.length));
        }
        g.text = out;
        this.#note(g, `bytes-${form}`);
      } else if (r < 0.82) {
        g.text = this.#pick([
          '',
          '\n',
          '# only a comment\n',
          '~\n',
          '[]\n',
          '42\n',
          '"text"\n',
          '---\n...\n',
          '- a\n- b\n',
          'a: 1\n---\nb: 2\n',
          '{',
          ':',
          '? \n',
        ]);
        this.#note(g, 'not-a-profile');
        g.mustFail = true;
      } else if (r < 0.9) {
        g.text = g.text.replace(/^(\s*)(\w+):/m, '$1$2: { unclosed: [1, 2');
        this.#note(g, 'unclosed-flow');
      } else {
        g.text = `${g.text}\n${this.#pick(['pbx: null', 'zendesk: []', 'queues: ~', 'active: "true"', 'active: yes', 'wrapUpSeconds: -1', 'lookup: { defaultCountry: XX }'])}\n`;
        this.#note(g, 'override-section');
      }
    }
  }
}

const PLAIN = '[A-Za-z0-9_-]+';
const BRACKET = '\\[(?:\\d+|"(?:[^"\\\\]|\\\\.)*")\\]';
const KEY_PATH = `(?:\\(top level\\)|(?:${PLAIN}|${BRACKET})(?:\\.${PLAIN}|${BRACKET})*)`;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `<file>: <key.path>: …`, `<file>: line L, column C: …`, or a file-level reason; one line each. */
function lineForm(file: string): RegExp {
  return new RegExp(
    `^${escapeRegExp(file)}: (?:${KEY_PATH}: .+|line \\d+, column \\d+: .+|cannot read (?:the YAML|the file) \\(.+\\))$`,
    's',
  );
}

function formatPathForTest(p: Path): string {
  let out = '';
  for (const key of p) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out;
}

/**
 * Random bytes may turn `token:` into `�oken:`, a key no longer secret-looking, whose literal value
 * is then quoted like any other: such profiles are left out of the no-secret-quoted check.
 */
function bytesMayHideSecretKey(g: Generated): boolean {
  return g.what.some((w) => w === 'bytes-flip' || w === 'bytes-invalid-utf8');
}

function checkResult(result: ProfileFile, g: Generated, file: string, where: string): void {
  const form = lineForm(file);
  for (const line of [...result.errors, ...result.warnings]) {
    assert.ok(!line.includes('\n'), `${where}: a problem spans lines: ${JSON.stringify(line.slice(0, 300))}`);
    assert.match(line, form, where);
    assert.ok(
      line.length <= 1_000,
      `${where}: a problem of ${line.length} characters: ${line.slice(0, 200)}…`,
    );
    assert.doesNotMatch(
      line,
      /\[object Object\]|TypeError|RangeError|at .+:\d+:\d+\)/,
      `${where}: ${line.slice(0, 300)}`,
    );
  }
  if (!bytesMayHideSecretKey(g)) {
    assert.deepEqual(
      leakedSecrets([...result.errors, ...result.warnings].join('\n')),
      [],
      `${where}: a secret was quoted`,
    );
  }
  if (result.valid) {
    assert.equal(result.errors.length, 0, where);
    assert.ok(result.profile, `${where}: valid but not resolved`);
  } else {
    assert.ok(result.errors.length > 0, `${where}: invalid without a reason`);
  }
  if (g.mustFail || g.mustName) assert.equal(result.valid, false, `${where}: accepted`);
  if (g.mustName) {
    const named = formatPathForTest(g.mustName);
    const paths = result.errors.map((line) => line.slice(file.length + 2));
    // the key itself, or (for a union, a section) a key above or below it
    assert.ok(
      paths.some((rest) => {
        const key = rest.slice(0, rest.indexOf(': '));
        if (key === named || named.startsWith(`${key}.`) || named.startsWith(`${key}[`)) return true;
        if (key.startsWith(`${named}.`) || key.startsWith(`${named}[`)) return true;
        // in a section that is a union (unknownCallers, zendesk.auth), a wrong or missing
        // discriminator is all zod can say: it names the section's `strategy` or `type`
        const section = key.replace(/\.(strategy|type)$/, '');
        return section !== key && named.startsWith(`${section}.`);
      }),
      `${where}: no problem names ${named}: ${JSON.stringify(result.errors.map((e) => e.slice(0, 160)))}`,
    );
  }
}

test(`${PROFILES} generated profiles: refused with readable lines naming the key, never a crash (seed ${SEED})`, async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'cti-fuzz-config-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const gen = new ProfileGenerator(SEED);
  const crashes: string[] = [];
  const failures: string[] = [];
  let valid = 0;
  let invalid = 0;
  let lines = 0;
  let slowest = { ms: 0, what: '' };
  const started = performance.now();
  for (let n = 0; n < PROFILES; n++) {
    const g = gen.next();
    const file = path.join(dir, `p${n}.yaml`);
    const where = `profile #${n} [${g.what.join(', ')}] (seed ${SEED})`;
    const t0 = performance.now();
    let result: ProfileFile;
    try {
      // every tenth through the file system, the rest from memory (the same code after the read)
      if (n % 10 === 0) {
        await writeFile(file, g.text);
        result = await loadProfile(file, { env: TEST_SECRET_ENV });
        await rm(file);
      } else {
        result = await checkProfileText(g.text, { name: `p${n}`, file }, { env: TEST_SECRET_ENV });
      }
    } catch (error) {
      crashes.push(`${where}: ${(error as Error).stack?.split('\n').slice(0, 3).join(' | ')}`);
      if (crashes.length > 10) break;
      continue;
    }
    const ms = performance.now() - t0;
    if (ms > slowest.ms) slowest = { ms, what: g.what.join(', ') };
    try {
      checkResult(result, g, file, where);
    } catch (error) {
      failures.push((error as Error).message.split('\n')[0]!.slice(0, 400));
      if (failures.length > 15) break;
    }
    if (result.valid) valid++;
    else invalid++;
    lines += result.errors.length;
  }
  const seconds = (performance.now() - started) / 1000;
  totals.profiles += valid + invalid + crashes.length;
  totals.refused += invalid;
  totals.crashes += crashes.length;
  t.diagnostic(
    `config-profiles: seed ${SEED}, ${PROFILES} profiles in ${seconds.toFixed(1)} s: ${invalid} refused (${lines} problem lines), ` +
      `${valid} valid, ${crashes.length} crashes; slowest ${slowest.ms.toFixed(0)} ms (${slowest.what}); mutations ${JSON.stringify(gen.kinds)}`,
  );
  assert.deepEqual(crashes, []);
  assert.deepEqual(failures, []);
  assert.ok(invalid > PROFILES / 2 && valid > 20, `${invalid} invalid, ${valid} valid`);
});

function runCli(configDir: string, name: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, '--config-dir', configDir, 'config', 'validate', name], {
      env: { PATH: process.env.PATH, ...TEST_SECRET_ENV },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

test(`config validate on ${CLI_SAMPLE} refused profiles: exit code 1 and the problems, no stack trace (seed ${SEED})`, async (t) => {
  const root = await mkdtemp(path.join(tmpdir(), 'cti-fuzz-cli-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const gen = new ProfileGenerator(SEED ^ 0xc11);
  // Profiles that once crashed loadProfile or leaked a secret first, then up to two refused
  // profiles of each combination of mutations.
  const once: Generated[] = [
    { text: `${validProfile()}extra: &a [*a]\n`, what: ['once: alias loop'] },
    {
      text: `${validProfile()}${Array.from({ length: 3_000 }, (_, k) => `${' '.repeat(k)}k${k}:`).join('\n')} 1\n`,
      what: ['once: 3 000 levels of keys'],
    },
    {
      text: validProfile().replace('  port: 5038\n', `  port: 5038\n  pasword: ${TEST_SECRETS.amiSecret}\n`),
      what: ['once: a secret under a misspelt key'],
    },
  ];
  const sample: Array<{ g: Generated; dir: string; expected: ProfileFile }> = [];
  const perKind = new Map<string, number>();
  for (let n = 0; sample.length < CLI_SAMPLE && n < 5_000; n++) {
    const g = once[n] ?? gen.next();
    if (g.text.length > 2 * 1024 * 1024) continue; // keep the child processes quick
    if (bytesMayHideSecretKey(g)) continue;
    const kind = g.what.join('+');
    if ((perKind.get(kind) ?? 0) >= 2) continue;
    const dir = path.join(root, `d${n}`);
    await mkdir(dir);
    const file = path.join(dir, 'p.yaml');
    await writeFile(file, g.text);
    const expected = await loadProfile(file, { env: TEST_SECRET_ENV });
    if (expected.valid) continue;
    perKind.set(kind, (perKind.get(kind) ?? 0) + 1);
    sample.push({ g, dir, expected });
  }
  assert.equal(sample.length, CLI_SAMPLE);
  const results: Array<{ code: number | null; out: string; err: string }> = [];
  const queue = [...sample.entries()];
  await Promise.all(
    Array.from({ length: 3 }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const [i, s] = next;
        results[i] = await runCli(s.dir, 'p');
      }
    }),
  );
  const codes: Record<string, number> = {};
  sample.forEach((s, i) => {
    const { code, out, err } = results[i]!;
    captureOutput(`cti-bridge config validate (${s.g.what.join(', ')})`)(out + err);
    const where = `[${s.g.what.join(', ')}] (seed ${SEED})`;
    codes[String(code)] = (codes[String(code)] ?? 0) + 1;
    assert.equal(code, 1, `${where}: exit ${code}\n${err.slice(0, 800)}`);
    assert.doesNotMatch(
      err + out,
      /\n\s+at .+:\d+:\d+|TypeError|RangeError|node:internal/,
      `${where}: ${err.slice(0, 800)}`,
    );
    for (const problem of s.expected.errors) {
      // How deep the parser got before the stack ran out differs between processes: the column too.
      const line = problem.includes('Maximum call stack size exceeded')
        ? new RegExp(`${escapeRegExp(problem).replace(/column \d+/, 'column \\d+')}`)
        : undefined;
      assert.ok(
        line ? line.test(err) : err.includes(problem),
        `${where}: the CLI does not print ${problem.slice(0, 200)}`,
      );
    }
  });
  totals.cliRuns += sample.length;
  totals.cliExit1 += codes['1'] ?? 0;
  totals.cliStacks += results.filter((r) => /\n\s+at .+:\d+:\d+/.test(r.err + r.out)).length;
  t.diagnostic(
    `config validate: ${sample.length} refused profiles, exit codes ${JSON.stringify(codes)}, kinds ${[...perKind.keys()].length}`,
  );
});
