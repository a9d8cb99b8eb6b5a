import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type Document, isScalar, LineCounter, parseDocument, visit } from 'yaml';
import { redactString, SecretRegistry } from '../log/redact.ts';
import { formatProblem } from './format-problem.ts';
import { profileWarnings } from './profile-warnings.ts';
import { resolveSecrets, type SecretDeps, type SecretResolution } from './resolve-secrets.ts';
import { type ResolvedProfile, toResolvedProfile } from './resolved-profile.ts';
import { type Profile, profileSchema } from './schema.ts';
import { issuesToProblems, readableIssueMessage } from './zod-issues.ts';

/** One profile file as found: whether it is marked active, whether it is usable, and why not. */
export interface ProfileFile {
  /** File name without `.yaml`: what `cti-bridge config activate <name>` takes. */
  name: string;
  /** Path as the directory was given (`config/main.yaml`). */
  file: string;
  /** `active: true` in the file; read even when the profile is otherwise invalid, if the YAML parses. */
  active: boolean;
  valid: boolean;
  /** Every problem at once, each `file: key.path: what is wrong (got …)`. */
  errors: string[];
  warnings: string[];
  /** Present when valid and secrets were resolved. */
  profile?: ResolvedProfile;
  /** The validated settings with secrets unresolved: present whenever the schema accepts the file. */
  settings?: Profile;
}

export interface LoadProfileDeps {
  /**
   * Environment for `env:` secrets. Without it, secret references are checked for their form
   * only and nothing is resolved (no `profile`): for tools that run outside the daemon's environment.
   */
  env?: NodeJS.ProcessEnv;
  secrets?: SecretDeps['secrets'];
}

/** Reads, validates and resolves one profile; problems are returned in the result, never thrown. */
export async function loadProfile(file: string, deps: LoadProfileDeps): Promise<ProfileFile> {
  const name = path.basename(file, '.yaml');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    return {
      name,
      file,
      active: false,
      valid: false,
      errors: [`${file}: cannot read the file (${code})`],
      warnings: [],
    };
  }
  return checkProfileText(text, { name, file }, deps);
}

export async function checkProfileText(
  text: string,
  where: { name: string; file: string },
  deps: LoadProfileDeps,
): Promise<ProfileFile> {
  const { file } = where;
  const yaml = parseYaml(text, file);
  if (yaml.errors.length > 0) {
    return { ...where, active: false, valid: false, errors: yaml.errors, warnings: yaml.warnings };
  }
  const raw = yaml.data;
  const active = raw !== null && typeof raw === 'object' && (raw as { active?: unknown }).active === true;
  if (raw === null || raw === undefined) {
    const errors = [formatProblem(file, [], 'the file is empty; start from config/example.yaml', 'nothing')];
    return { ...where, active, valid: false, errors, warnings: yaml.warnings };
  }

  const parsed = profileSchema.safeParse(raw, { error: readableIssueMessage });
  const errors = parsed.success ? [] : issuesToProblems(file, parsed.error.issues, raw);
  const warnings = [...yaml.warnings, ...profileWarnings(file, raw)];
  let secrets: SecretResolution | undefined;
  if (deps.env !== undefined) {
    secrets = await resolveSecrets(raw, file, { env: deps.env, secrets: deps.secrets });
    errors.push(...secrets.errors);
    warnings.push(...secrets.warnings);
  }
  const valid = errors.length === 0;
  const profile =
    valid && parsed.success && secrets !== undefined
      ? toResolvedProfile(parsed.data, where, secrets.resolved)
      : undefined;
  return {
    ...where,
    active,
    valid,
    errors,
    warnings,
    ...(profile ? { profile } : {}),
    ...(parsed.success ? { settings: parsed.data } : {}),
  };
}

/**
 * One broken bracket can make the parser report an error for every token after it (100 000 lines
 * for a long file): the first few say where to look.
 */
const MAX_YAML_ERRORS = 10;

function parseYaml(text: string, file: string): { data?: unknown; errors: string[]; warnings: string[] } {
  const lineCounter = new LineCounter();
  // prettyErrors off: its messages quote the offending source line, which may hold a literal secret.
  // uniqueKeys off: yaml compares each key with every earlier one (a file of 40 000 keys took 40 s);
  // duplicateKeys below does the same check with a set.
  const scrub = (message: string) => redactString(message, new SecretRegistry());
  let doc: Document;
  try {
    doc = parseDocument(text, { prettyErrors: false, lineCounter, uniqueKeys: false });
  } catch (error) {
    // The composer turns a stack overflow into a syntax error; the parser before it throws it.
    return { errors: [`${file}: cannot read the YAML (${scrub((error as Error).message)})`], warnings: [] };
  }
  const where = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return `${file}: line ${line}, column ${col}`;
  };
  const errors = doc.errors
    .slice(0, MAX_YAML_ERRORS)
    .map((error) => `${where(error.pos[0])}: YAML syntax error: ${scrub(error.message)}`);
  const more = doc.errors[MAX_YAML_ERRORS];
  if (more) {
    const count = doc.errors.length - MAX_YAML_ERRORS;
    errors.push(`${where(more.pos[0])}: YAML syntax error: ${count} more from here on, not listed`);
  }
  const warnings = doc.warnings.map((warning) => `${where(warning.pos[0])}: ${scrub(warning.message)}`);
  if (errors.length > 0) return { errors, warnings };
  try {
    const duplicates = duplicateKeys(doc).map(
      (offset) => `${where(offset)}: YAML syntax error: Map keys must be unique`,
    );
    if (duplicates.length > 0) return { errors: duplicates, warnings };
    return { data: doc.toJS(), errors, warnings };
  } catch (error) {
    return { errors: [`${file}: cannot read the YAML (${scrub((error as Error).message)})`], warnings };
  }
}

/** Start offsets of keys that repeat an earlier key of their mapping: yaml's uniqueKeys, in linear time. */
function duplicateKeys(doc: Document): number[] {
  const offsets: number[] = [];
  visit(doc, {
    Map(_key, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        if (seen.has(pair.key.value)) offsets.push(pair.key.range?.[0] ?? 0);
        else seen.add(pair.key.value);
      }
    },
  });
  return offsets;
}
