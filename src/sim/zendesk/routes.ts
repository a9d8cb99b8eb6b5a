import { listGroups, showGroup } from './handlers/groups.ts';
import { listIdentities, postIdentity } from './handlers/identities.ts';
import { incrementalUsers } from './handlers/incremental.ts';
import { putUpdateMany, showJobStatus, showManyJobStatuses } from './handlers/jobs.ts';
import { postOAuthToken } from './handlers/oauth.ts';
import { search, searchUsers } from './handlers/search.ts';
import { displayTicket, displayUser, postVoiceTicket } from './handlers/talk.ts';
import {
  listComments,
  listTickets,
  postTicket,
  putTicket,
  showManyTickets,
  showTicket,
} from './handlers/tickets.ts';
import { downloadAttachment, postUpload, showAttachment } from './handlers/uploads.ts';
import { deleteUser, listUsers, postUser, putUser, showMe, showUser } from './handlers/users.ts';
import { type Route, Router } from './router.ts';
import type { Handler } from './world.ts';

const VOICE = '/api/v2/channels/voice';

/** Every endpoint the fake answers. Literal paths come before their `{id}` siblings. */
export function zendeskRouter(): Router<Handler> {
  const routes: Route<Handler>[] = [
    { method: 'POST', pattern: '/oauth/tokens', handler: postOAuthToken, public: true },
    { method: 'GET', pattern: '/attachments/token/{token}', handler: downloadAttachment, public: true },

    { method: 'GET', pattern: '/api/v2/users/search', handler: searchUsers },
    { method: 'GET', pattern: '/api/v2/users/me', handler: showMe },
    { method: 'GET', pattern: '/api/v2/users', handler: listUsers },
    { method: 'POST', pattern: '/api/v2/users', handler: postUser },
    { method: 'GET', pattern: '/api/v2/users/{id}', handler: showUser },
    { method: 'PUT', pattern: '/api/v2/users/{id}', handler: putUser },
    { method: 'DELETE', pattern: '/api/v2/users/{id}', handler: deleteUser },
    { method: 'GET', pattern: '/api/v2/users/{user_id}/identities', handler: listIdentities },
    { method: 'POST', pattern: '/api/v2/users/{user_id}/identities', handler: postIdentity },
    { method: 'GET', pattern: '/api/v2/search', handler: search },
    { method: 'GET', pattern: '/api/v2/incremental/users/cursor', handler: incrementalUsers, export: true },

    { method: 'GET', pattern: '/api/v2/groups', handler: listGroups },
    { method: 'GET', pattern: '/api/v2/groups/{id}', handler: showGroup },

    { method: 'GET', pattern: '/api/v2/tickets', handler: listTickets },
    { method: 'POST', pattern: '/api/v2/tickets', handler: postTicket, idempotent: true },
    { method: 'GET', pattern: '/api/v2/tickets/show_many', handler: showManyTickets },
    { method: 'PUT', pattern: '/api/v2/tickets/update_many', handler: putUpdateMany },
    { method: 'GET', pattern: '/api/v2/tickets/{id}', handler: showTicket },
    { method: 'PUT', pattern: '/api/v2/tickets/{id}', handler: putTicket },
    { method: 'GET', pattern: '/api/v2/tickets/{id}/comments', handler: listComments },

    { method: 'GET', pattern: '/api/v2/job_statuses/show_many', handler: showManyJobStatuses },
    { method: 'GET', pattern: '/api/v2/job_statuses/{id}', handler: showJobStatus },

    { method: 'POST', pattern: '/api/v2/uploads', handler: postUpload, rawBody: true },
    { method: 'GET', pattern: '/api/v2/attachments/{id}', handler: showAttachment },

    {
      method: 'POST',
      pattern: `${VOICE}/agents/{agent_id}/tickets/{ticket_id}/display`,
      handler: displayTicket,
      talk: true,
    },
    {
      method: 'POST',
      pattern: `${VOICE}/agents/{agent_id}/users/{user_id}/display`,
      handler: displayUser,
      talk: true,
    },
    { method: 'POST', pattern: `${VOICE}/tickets`, handler: postVoiceTicket, talk: true, idempotent: true },
  ];
  return new Router(routes);
}
