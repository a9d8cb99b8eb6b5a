import type { z } from 'zod';
import { describeValue, formatProblem, isSecretishKey, valueAt } from './format-problem.ts';
import { isSecretField, knownKeysAt } from './schema-walk.ts';
import { closestKey } from './suggest.ts';

/**
 * Turns zod's issues into problem lines for admins. Fields with their own wording set it in the
 * schema; `readableIssueMessage` phrases everything else (zod's defaults talk about "input" and
 * "received undefined").
 */

const EXPECTED: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping (key: value lines)',
  record: 'a mapping (key: value lines)',
  array: 'a list',
};

export const readableIssueMessage: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type': {
      const expected = EXPECTED[issue.expected] ?? issue.expected;
      if (issue.expected === 'never') return 'not allowed here';
      if (issue.input === undefined) {
        return issue.expected === 'object' || issue.expected === 'record'
          ? 'required section is missing'
          : `required key is missing; expected ${expected}`;
      }
      if (
        issue.expected === 'string' &&
        (typeof issue.input === 'number' || typeof issue.input === 'boolean')
      ) {
        return 'expected text; put the value in quotes';
      }
      return `expected ${expected}`;
    }
    case 'too_small':
      if (issue.origin === 'string')
        return issue.minimum === 1 ? 'must not be empty' : `needs at least ${issue.minimum} characters`;
      if (issue.origin === 'array') return `needs at least ${issue.minimum} entries`;
      return issue.inclusive === false
        ? `must be more than ${issue.minimum}`
        : `must be at least ${issue.minimum}`;
    case 'too_big':
      if (issue.origin === 'string') return `must be at most ${issue.maximum} characters`;
      if (issue.origin === 'array') return `must have at most ${issue.maximum} entries`;
      return issue.inclusive === false
        ? `must be less than ${issue.maximum}`
        : `must be at most ${issue.maximum}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((value) => String(value)).join(', ')}`;
    case 'invalid_format':
      return issue.format === 'email' ? 'must be an email address' : 'has the wrong format';
    default:
      return undefined;
  }
};

/** One line per problem, unknown keys one line each with a suggestion when one is close. */
export function issuesToProblems(file: string, issues: readonly z.core.$ZodIssue[], raw: unknown): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(issue.path);
      for (const key of issue.keys) lines.push(unknownKeyProblem(file, issue.path, key, known, raw));
      continue;
    }
    const value = valueAt(raw, issue.path);
    const secret = isSecretField(issue.path) || isSecretishKey(issue.path.at(-1));
    lines.push(formatProblem(file, issue.path, issue.message, describeValue(value, { secret })));
  }
  return [...new Set(lines)];
}

function unknownKeyProblem(
  file: string,
  parent: readonly PropertyKey[],
  key: string,
  known: readonly string[],
  raw: unknown,
): string {
  const path = [...parent, key];
  const suggestion = closestKey(key, known);
  const message = suggestion
    ? `unknown key; did you mean "${suggestion}"?`
    : known.length > 0
      ? `unknown key; known keys here: ${known.join(', ')}`
      : 'unknown key';
  const secret = isSecretishKey(key) || (suggestion !== undefined && isSecretField([...parent, suggestion]));
  return formatProblem(file, path, message, describeValue(valueAt(raw, path), { secret }));
}
