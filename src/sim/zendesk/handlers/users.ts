import { paginate } from '../pagination.ts';
import type { Role } from '../records.ts';
import { badRequest, json, notFound, type Reply } from '../reply.ts';
import { userJson } from '../serialize.ts';
import { createUser, updateUser } from '../user-writer.ts';
import { type Handler, idOf, objectAt } from '../world.ts';

/** `GET /users?role[]=agent&role[]=admin` (or `role=agent`), cursor or offset paginated. */
export const listUsers: Handler = (ctx) => {
  const roles = [...ctx.query.getAll('role[]'), ...ctx.query.getAll('role')] as Role[];
  const users = ctx.world.state
    .users()
    .filter((u) => roles.length === 0 || roles.includes(u.role))
    .sort((a, b) => a.id - b.id)
    .map((u) => userJson(u, ctx.world.baseUrl()));
  return paginate(users, { key: 'users', selfUrl: ctx.selfUrl, query: ctx.query });
};

export const showUser: Handler = (ctx) => {
  const user = ctx.world.state.user(idOf(ctx.params.id) ?? 0);
  return user ? json(200, { user: userJson(user, ctx.world.baseUrl()) }) : notFound();
};

/** `GET /users/me`: the user the credentials belong to (a cheap credentials check). */
export const showMe: Handler = (ctx) => json(200, { user: userJson(ctx.user!, ctx.world.baseUrl()) });

export const postUser: Handler = (ctx) => {
  const input = objectAt(ctx.body, 'user');
  if (!input) return missing('user');
  const result = createUser(ctx.world.state, input);
  if (!result.ok) return result.problems.reply();
  return json(201, { user: userJson(result.user, ctx.world.baseUrl()) });
};

export const putUser: Handler = (ctx) => {
  const user = ctx.world.state.user(idOf(ctx.params.id) ?? 0);
  if (!user) return notFound();
  const input = objectAt(ctx.body, 'user');
  if (!input) return missing('user');
  const result = updateUser(ctx.world.state, user, input);
  if (!result.ok) return result.problems.reply();
  return json(200, { user: userJson(result.user, ctx.world.baseUrl()) });
};

/** `DELETE /users/{id}`: a soft delete, as Zendesk's: the user stays, `active: false`, out of search. */
export const deleteUser: Handler = (ctx) => {
  const user = ctx.world.state.user(idOf(ctx.params.id) ?? 0);
  if (!user?.active) return notFound();
  user.active = false;
  user.updated_at = ctx.world.state.stamp();
  ctx.world.state.putUser(user);
  return json(200, { user: userJson(user, ctx.world.baseUrl()) });
};

export function missing(param: string): Reply {
  return badRequest('ParameterMissing', `The ${param} parameter is missing or not an object`);
}
