import { createHash } from 'node:crypto';
import type { ResolvedProfile } from '../config/config-dir.ts';
import { Secret } from '../util/secret.ts';

/**
 * Identity of an active profile's effective settings: the daemon restarts the integration only
 * when this changes, so touching a file or editing another profile does not drop the AMI link.
 * Secret values are included (hashed), so rotating a password restarts with the new one.
 * `operations` is left out: the daemon's listener moves on its own, the calls go on.
 */
export function profileFingerprint(profile: ResolvedProfile): string {
  const { operations: _listener, ...rest } = profile;
  return createHash('sha256').update(canonical(rest)).digest('hex');
}

// Not JSON.stringify: it would call Secret.toJSON (which redacts) before any replacer saw the value.
function canonical(value: unknown): string {
  if (value instanceof Secret) return `secret:${createHash('sha256').update(value.reveal()).digest('hex')}`;
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}
