import { createHash } from 'node:crypto';
import type { ResolvedProfile } from '../config/config-dir.ts';

/**
 * Identity of an active profile's effective settings: the daemon restarts the integration only
 * when this changes, so touching a file or editing another profile does not drop the AMI link.
 * Secret values are included (hashed), so rotating a password restarts with the new one.
 */
export function profileFingerprint(profile: ResolvedProfile): string {
  const hash = createHash('sha256');
  hash.update(
    JSON.stringify(profile, (_key, value: unknown) =>
      value !== null && typeof value === 'object' && typeof (value as { reveal?: unknown }).reveal === 'function'
        ? `secret:${createHash('sha256')
            .update((value as { reveal(): string }).reveal())
            .digest('hex')}`
        : value,
    ),
  );
  return hash.digest('hex');
}
