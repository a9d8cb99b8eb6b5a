import { z } from 'zod';

/** A secret field's value in a profile: where the secret is, never the secret itself. */
export type SecretRef = `env:${string}` | `file:${string}`;

export type ParsedSecretRef = { kind: 'env'; name: string } | { kind: 'file'; path: string };

const ENV_REF = /^env:([A-Za-z_][A-Za-z0-9_]*)$/;
const FILE_REF = /^file:(\/.*)$/;
const REF_PREFIX = /^(env|file):/;

export const SECRET_REF_HINT = 'write env:NAME or file:/path';

export function parseSecretRef(value: unknown): ParsedSecretRef | undefined {
  if (typeof value !== 'string') return undefined;
  const env = ENV_REF.exec(value);
  if (env) return { kind: 'env', name: env[1]! };
  const file = FILE_REF.exec(value);
  if (file) return { kind: 'file', path: file[1]! };
  return undefined;
}

/**
 * Whether a secret field's value may be quoted back in a message. A reference (even a malformed
 * one) names a place; anything else may be the secret itself and must never be echoed.
 */
export function isPrintableSecretFieldValue(value: unknown): value is string {
  return typeof value === 'string' && REF_PREFIX.test(value);
}

function refProblem(input: unknown): string {
  if (input === undefined) return `required: a secret reference; ${SECRET_REF_HINT}`;
  if (typeof input === 'string' && input.startsWith('env:')) {
    return 'env: needs a variable name of letters, digits and underscores, like env:CTI_AMI_SECRET';
  }
  if (typeof input === 'string' && input.startsWith('file:')) {
    return 'file: needs an absolute path, like file:/etc/cti-bridge/ami-secret';
  }
  return `literal secrets are not allowed; ${SECRET_REF_HINT}`;
}

/** A secret field: validated as a reference here, resolved to a `Secret` by resolve-secrets.ts. */
export function secretRef(description: string) {
  return z
    .custom<SecretRef>((value) => parseSecretRef(value) !== undefined, {
      error: (issue) => refProblem(issue.input),
    })
    .meta({ secret: true, description, typeLabel: 'secret reference' });
}
