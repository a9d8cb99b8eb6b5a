import type { GroupRecord, Role, UserRecord } from './records.ts';
import type { ZendeskState } from './state.ts';
import { addIdentity, createUser } from './user-writer.ts';

export interface SeedUser {
  name: string;
  role: Role;
  email?: string;
  /** The primary number, shown as `user.phone`. */
  phone?: string;
  /** Further phone identities. */
  otherPhones?: string[];
  /** Name of the user's default group. */
  group?: string;
  external_id?: string;
}

export interface SeedGroup {
  name: string;
  description?: string;
  default?: boolean;
}

export interface SeedData {
  groups: SeedGroup[];
  users: SeedUser[];
}

/**
 * The lab account: the PBX's agents (voicemail.conf) and queues (support, sales) as groups, the
 * caller of fixture a (+4930123456) as Erika, the US caller of fixture e stored in another
 * notation, two users sharing one line (the ambiguous case), a user with two numbers, and a
 * default user for unknown callers. The number of fixture c (+4915112345678) is deliberately unknown.
 */
export function defaultSeed(): SeedData {
  return {
    groups: [
      { name: 'Support', description: 'Support queue', default: true },
      { name: 'Sales', description: 'Sales queue' },
    ],
    users: [
      { name: 'Zendesk Admin', role: 'admin', email: 'admin@example.com' },
      { name: 'Anna Agent', role: 'agent', email: 'anna.agent@example.com', group: 'Support' },
      { name: 'Ben Berger', role: 'agent', email: 'ben.berger@example.com', group: 'Support' },
      { name: 'Carla Sales', role: 'agent', email: 'carla.sales@example.com', group: 'Sales' },
      {
        name: 'Erika Mustermann',
        role: 'end-user',
        email: 'erika.mustermann@example.com',
        phone: '+4930123456',
      },
      { name: 'John Smith', role: 'end-user', email: 'john.smith@example.com', phone: '+1 (212) 555-0100' },
      { name: 'Max Mustermann', role: 'end-user', phone: '+49 40 5550000' },
      { name: 'Maria Mustermann', role: 'end-user', phone: '+494055500-00' },
      { name: 'Otto Normal', role: 'end-user', phone: '+4922133344', otherPhones: ['(0170) 1234567'] },
      { name: 'Hans Lokal', role: 'end-user', phone: '(030) 987654' },
      {
        name: 'Unknown Caller',
        role: 'end-user',
        email: 'unknown.caller@example.com',
        external_id: 'cti-default-user',
      },
    ],
  };
}

/** Writes seed data through the same code paths as the API, so seeded records look alike. */
export function applySeed(state: ZendeskState, seed: SeedData): void {
  for (const group of seed.groups) addGroup(state, group);
  for (const user of seed.users) seedUser(state, user);
}

export function addGroup(state: ZendeskState, input: SeedGroup): GroupRecord {
  const stamp = state.stamp();
  const group: GroupRecord = {
    id: state.nextId('group'),
    name: input.name,
    description: input.description ?? '',
    default: input.default ?? false,
    deleted: false,
    is_public: true,
    created_at: stamp,
    updated_at: stamp,
  };
  state.putGroup(group);
  return group;
}

export function seedUser(state: ZendeskState, input: SeedUser): UserRecord {
  const groupId =
    input.group === undefined ? undefined : state.groups().find((g) => g.name === input.group)?.id;
  const result = createUser(state, {
    name: input.name,
    role: input.role,
    verified: true,
    ...(input.email ? { email: input.email } : {}),
    ...(input.phone ? { phone: input.phone } : {}),
    ...(groupId !== undefined ? { default_group_id: groupId } : {}),
    ...(input.external_id ? { external_id: input.external_id } : {}),
  });
  if (!result.ok)
    throw new Error(`seed user ${input.name} is invalid: ${JSON.stringify(result.problems.reply().body)}`);
  for (const phone of input.otherPhones ?? [])
    addIdentity(state, result.user.id, 'phone_number', phone, false);
  return result.user;
}
