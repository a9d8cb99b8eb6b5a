import type { Secret } from '../util/secret.ts';
import type { ResolvedSecret } from './resolve-secrets.ts';
import type { Profile } from './schema.ts';
import { zendeskBaseUrl } from './schema-zendesk.ts';
import type { SecretRef } from './secret-ref.ts';

/** `T` with every secret reference replaced by the `Secret` it resolved to. */
export type WithSecrets<T> = T extends SecretRef
  ? Secret
  : T extends readonly (infer Item)[]
    ? WithSecrets<Item>[]
    : T extends object
      ? { [K in keyof T]: WithSecrets<T[K]> }
      : T;

/**
 * The profile the daemon runs: validated, defaults applied, secrets resolved, and the Zendesk
 * address normalised to `zendesk.baseUrl` whichever of url/subdomain the file gives.
 */
export type ResolvedProfile = Omit<WithSecrets<Profile>, 'zendesk'> & {
  /** File name without `.yaml`. */
  name: string;
  /** Path of the file, as the config directory was given. */
  file: string;
  zendesk: Omit<WithSecrets<Profile['zendesk']>, 'url' | 'subdomain'> & { baseUrl: string };
};

export function toResolvedProfile(
  profile: Profile,
  where: { name: string; file: string },
  secrets: readonly ResolvedSecret[],
): ResolvedProfile {
  const { url: _url, subdomain: _subdomain, ...zendesk } = profile.zendesk;
  const copy = structuredClone({
    ...profile,
    zendesk: { ...zendesk, baseUrl: zendeskBaseUrl(profile.zendesk) },
  });
  for (const { path, secret } of secrets) setAt(copy, path, secret);
  return {
    name: where.name,
    file: where.file,
    ...(copy as unknown as Omit<ResolvedProfile, 'name' | 'file'>),
  };
}

function setAt(root: object, path: readonly string[], value: unknown): void {
  let node = root as Record<string, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[path.at(-1)!] = value;
}
