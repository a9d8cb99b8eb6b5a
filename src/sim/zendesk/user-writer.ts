import type { IdentityRecord, Role, UserRecord } from './records.ts';
import { Problems } from './reply.ts';
import type { IndexedUser } from './search-index.ts';
import type { ZendeskState } from './state.ts';

const ROLES: readonly Role[] = ['end-user', 'agent', 'admin'];

export type UserWrite = { ok: true; user: UserRecord } | { ok: false; problems: Problems };

/** Creates a user from a `{user:{…}}` payload, with an email and/or phone identity. */
export function createUser(state: ZendeskState, input: Record<string, unknown>): UserWrite {
  const problems = new Problems();
  const name = typeof input.name === 'string' ? input.name.trim() : '';
  if (name === '') problems.add('name', 'BlankValue', 'Name: cannot be blank');
  checkCommon(state, input, undefined, problems);
  if (problems.any()) return { ok: false, problems };

  const stamp = state.stamp();
  const user: UserRecord = {
    id: state.nextId('user'),
    name,
    email: null,
    phone: null,
    role: (input.role as Role | undefined) ?? 'end-user',
    active: true,
    verified: input.verified === true,
    external_id: stringOrNull(input.external_id),
    default_group_id: typeof input.default_group_id === 'number' ? input.default_group_id : null,
    organization_id: null,
    time_zone: typeof input.time_zone === 'string' ? input.time_zone : 'Europe/Berlin',
    locale: 'en-US',
    tags: Array.isArray(input.tags) ? input.tags.filter((t): t is string => typeof t === 'string') : [],
    user_fields: {},
    shared_phone_number: null,
    suspended: false,
    created_at: stamp,
    updated_at: stamp,
  };
  state.putUser(user);
  if (typeof input.email === 'string') addIdentity(state, user.id, 'email', input.email.trim());
  if (typeof input.phone === 'string') addIdentity(state, user.id, 'phone_number', input.phone.trim());
  return { ok: true, user };
}

/** Applies a `{user:{…}}` update. Setting `phone` or `email` adds (or promotes) an identity. */
export function updateUser(state: ZendeskState, user: UserRecord, input: Record<string, unknown>): UserWrite {
  const problems = new Problems();
  if ('name' in input && (typeof input.name !== 'string' || input.name.trim() === '')) {
    problems.add('name', 'BlankValue', 'Name: cannot be blank');
  }
  checkCommon(state, input, user.id, problems);
  if (problems.any()) return { ok: false, problems };

  if (typeof input.name === 'string') user.name = input.name.trim();
  if (typeof input.role === 'string') user.role = input.role as Role;
  if ('external_id' in input) user.external_id = stringOrNull(input.external_id);
  if (typeof input.default_group_id === 'number') user.default_group_id = input.default_group_id;
  if (typeof input.time_zone === 'string') user.time_zone = input.time_zone;
  if (typeof input.verified === 'boolean') user.verified = input.verified;
  user.updated_at = state.stamp();
  state.putUser(user);
  if (typeof input.email === 'string') addIdentity(state, user.id, 'email', input.email.trim());
  if (typeof input.phone === 'string') addIdentity(state, user.id, 'phone_number', input.phone.trim());
  return { ok: true, user };
}

/** Adds an identity as the primary of its type; an identical one already there is promoted. */
export function addIdentity(
  state: ZendeskState,
  userId: number,
  type: IdentityRecord['type'],
  value: string,
  primary = true,
): IdentityRecord {
  const existing = state.identities(userId).find((i) => i.type === type && sameValue(type, i.value, value));
  const stamp = state.stamp();
  const identity: IdentityRecord = existing ?? {
    id: state.nextId('identity'),
    user_id: userId,
    type,
    value,
    verified: false,
    primary,
    undeliverable_count: 0,
    deliverable_state: 'deliverable',
    created_at: stamp,
    updated_at: stamp,
  };
  if (existing && primary) {
    existing.primary = true;
    existing.updated_at = stamp;
  }
  // The first identity of a type is primary whatever was asked: user.phone must show something.
  if (!state.identities(userId).some((i) => i.type === type && i.primary)) identity.primary = true;
  state.putIdentity(identity);
  return identity;
}

export function sameValue(type: IdentityRecord['type'], a: string, b: string): boolean {
  return type === 'email'
    ? a.toLowerCase() === b.toLowerCase()
    : a.replace(/\D/g, '') === b.replace(/\D/g, '');
}

/**
 * Phone numbers in any common notation (`+49 30 123456`, `(030) 123-456`), 5 to 15 digits.
 * Letters or a `+` anywhere but in front make it InvalidFormat.
 */
export function isValidPhone(value: string): boolean {
  const digits = value.replace(/\D/g, '').length;
  return /^\+?[\d\s().\-/]+$/.test(value) && digits >= 5 && digits <= 15;
}

export function isValidEmail(value: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value);
}

/** What search will see of this user once the index catches up. */
export function indexedUser(state: ZendeskState, user: UserRecord): IndexedUser {
  return {
    userId: user.id,
    role: user.role,
    name: user.name,
    email: user.email,
    phones: state
      .identities(user.id)
      .filter((i) => i.type === 'phone_number')
      .map((i) => i.value),
    externalId: user.external_id,
    active: user.active,
  };
}

function checkCommon(
  state: ZendeskState,
  input: Record<string, unknown>,
  selfId: number | undefined,
  p: Problems,
) {
  if ('role' in input && !ROLES.includes(input.role as Role)) {
    p.add('role', 'InvalidValue', `Role: ${String(input.role)} is not valid`);
  }
  if ('email' in input) {
    const email = typeof input.email === 'string' ? input.email.trim() : '';
    const owner = email ? state.userByEmail(email) : undefined;
    if (!isValidEmail(email)) p.add('email', 'InvalidFormat', `Email: ${email} is not properly formatted`);
    else if (owner && owner.id !== selfId)
      p.add('email', 'DuplicateValue', `Email: ${email} is already being used by another user`);
  }
  if ('phone' in input && (typeof input.phone !== 'string' || !isValidPhone(input.phone.trim()))) {
    p.add('phone', 'InvalidFormat', `Phone: ${String(input.phone)} is not properly formatted`);
  }
  if (input.default_group_id !== undefined && input.default_group_id !== null) {
    if (typeof input.default_group_id !== 'number' || !state.group(input.default_group_id)) {
      p.add('default_group_id', 'InvalidValue', 'Default group: is invalid');
    }
  }
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : null;
}
