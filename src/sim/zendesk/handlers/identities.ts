import type { IdentityRecord } from '../records.ts';
import { json, notFound, Problems } from '../reply.ts';
import { identityJson } from '../serialize.ts';
import { addIdentity, isValidEmail, isValidPhone, sameValue } from '../user-writer.ts';
import { type Handler, idOf, objectAt } from '../world.ts';
import { missing } from './users.ts';

export const listIdentities: Handler = (ctx) => {
  const user = ctx.world.state.user(idOf(ctx.params.user_id) ?? 0);
  if (!user) return notFound();
  const base = ctx.world.baseUrl();
  const identities = ctx.world.state.identities(user.id).map((i) => identityJson(i, base));
  return json(200, { identities, next_page: null, previous_page: null, count: identities.length });
};

/**
 * `POST /users/{id}/identities` with `{identity:{type, value}}`. A number the user already has
 * is a DuplicateValue; the same number on another user is allowed (households share lines), an
 * email used by anyone is not.
 */
export const postIdentity: Handler = (ctx) => {
  const state = ctx.world.state;
  const user = state.user(idOf(ctx.params.user_id) ?? 0);
  if (!user) return notFound();
  const input = objectAt(ctx.body, 'identity');
  if (!input) return missing('identity');
  const type = input.type as IdentityRecord['type'];
  const value = typeof input.value === 'string' ? input.value.trim() : '';
  const problems = new Problems();
  if (type !== 'phone_number' && type !== 'email') {
    problems.add('type', 'InvalidValue', `Type: ${String(input.type)} is not supported`);
  } else if (type === 'phone_number' && !isValidPhone(value)) {
    problems.add('value', 'InvalidFormat', `Value: ${value} is not a valid phone number`);
  } else if (type === 'email' && !isValidEmail(value)) {
    problems.add('value', 'InvalidFormat', `Value: ${value} is not properly formatted`);
  } else if (state.identities(user.id).some((i) => i.type === type && sameValue(type, i.value, value))) {
    problems.add('value', 'DuplicateValue', `Value: ${value} is already being used by this user`);
  } else if (type === 'email' && state.userByEmail(value)) {
    problems.add('value', 'DuplicateValue', `Value: ${value} is already being used by another user`);
  }
  if (problems.any()) return problems.reply();
  const identity = addIdentity(state, user.id, type, value, input.primary === true);
  return json(201, { identity: identityJson(identity, ctx.world.baseUrl()) });
};
