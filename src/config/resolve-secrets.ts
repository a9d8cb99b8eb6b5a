import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { SecretRegistry } from '../log/redact.ts';
import { Secret } from '../util/secret.ts';
import { describeValue, formatNote, formatProblem } from './format-problem.ts';
import { ANY_KEY, secretFieldPatterns } from './schema-walk.ts';
import { parseSecretRef } from './secret-ref.ts';

export interface SecretDeps {
  env: NodeJS.ProcessEnv;
  /** Every resolved value is added here, so the logger blanks it out wherever it appears. */
  secrets?: SecretRegistry;
}

export interface ResolvedSecret {
  path: string[];
  secret: Secret;
}

export interface SecretResolution {
  resolved: ResolvedSecret[];
  errors: string[];
  warnings: string[];
}

/**
 * Reads every well-formed secret reference in a parsed profile file. Works on the raw YAML data so
 * that a missing variable is reported together with the file's schema problems; values that are
 * not references are the schema's to report.
 */
export async function resolveSecrets(
  raw: unknown,
  file: string,
  deps: SecretDeps,
): Promise<SecretResolution> {
  const result: SecretResolution = { resolved: [], errors: [], warnings: [] };
  for (const pattern of secretFieldPatterns()) {
    for (const [path, value] of expand(raw, pattern)) {
      const ref = parseSecretRef(value);
      if (ref === undefined) continue;
      const got = describeValue(value, { secret: true });
      if (ref.kind === 'env') {
        const secretValue = deps.env[ref.name];
        if (secretValue === undefined || secretValue === '') {
          const state = secretValue === undefined ? 'is not set' : 'is empty';
          result.errors.push(
            formatProblem(
              file,
              path,
              `environment variable ${ref.name} ${state}; set it in the daemon's environment`,
              got,
            ),
          );
          continue;
        }
        result.resolved.push({ path, secret: new Secret(secretValue, value as string) });
        deps.secrets?.add(secretValue);
        continue;
      }
      const read = await readSecretFile(ref.path);
      if ('problem' in read) {
        result.errors.push(formatProblem(file, path, read.problem, got));
        continue;
      }
      if (read.mode & 0o077) {
        const mode = (read.mode & 0o777).toString(8).padStart(4, '0');
        result.warnings.push(
          formatNote(
            file,
            path,
            `secret file ${ref.path} is readable by group/others (mode ${mode}); chmod 600 it`,
          ),
        );
      }
      result.resolved.push({ path, secret: new Secret(read.value, value as string) });
      deps.secrets?.add(read.value);
    }
  }
  return result;
}

/** Concrete paths and values in `raw` matching a field pattern (`*` = every key of a map). */
function expand(raw: unknown, pattern: readonly string[], prefix: string[] = []): Array<[string[], unknown]> {
  if (pattern.length === 0) return [[prefix, raw]];
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return [];
  const [head, ...rest] = pattern as [string, ...string[]];
  const record = raw as Record<string, unknown>;
  const keys = head === ANY_KEY ? Object.keys(record) : Object.hasOwn(record, head) ? [head] : [];
  return keys.flatMap((key) => expand(record[key], rest, [...prefix, key]));
}

async function readSecretFile(path: string): Promise<{ value: string; mode: number } | { problem: string }> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    // non-blocking, so a FIFO at the path is refused below instead of hanging the daemon
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    return { problem: fileProblem(path, error) };
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return { problem: `secret file ${path} is not a regular file` };
    const value = (await handle.readFile('utf8')).replace(/[\r\n]+$/, '');
    if (value === '') return { problem: `secret file ${path} is empty` };
    return { value, mode: stat.mode };
  } catch (error) {
    return { problem: fileProblem(path, error) };
  } finally {
    await handle.close();
  }
}

function fileProblem(path: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `secret file ${path} does not exist`;
  if (code === 'EACCES' || code === 'EPERM') {
    return `secret file ${path} cannot be read (permission denied); let the daemon's user read it`;
  }
  if (code === 'EISDIR') return `secret file ${path} is not a regular file`;
  return `secret file ${path} cannot be read (${code ?? String(error)})`;
}
