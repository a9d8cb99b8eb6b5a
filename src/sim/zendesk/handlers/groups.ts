import { paginate } from '../pagination.ts';
import { json, notFound } from '../reply.ts';
import { groupJson } from '../serialize.ts';
import { type Handler, idOf } from '../world.ts';

export const listGroups: Handler = (ctx) => {
  const groups = ctx.world.state
    .groups()
    .filter((g) => !g.deleted)
    .sort((a, b) => a.id - b.id)
    .map((g) => groupJson(g, ctx.world.baseUrl()));
  return paginate(groups, { key: 'groups', selfUrl: ctx.selfUrl, query: ctx.query });
};

export const showGroup: Handler = (ctx) => {
  const group = ctx.world.state.group(idOf(ctx.params.id) ?? 0);
  return group ? json(200, { group: groupJson(group, ctx.world.baseUrl()) }) : notFound();
};
