import type { ResolvedProfile } from '../config/config-dir.ts';
import type { Logger } from '../log/logger.ts';
import { apiTokenAuth, httpTokenRefresher, oauthAuth, type ZendeskAuth } from '../zendesk/auth.ts';
import { ZendeskDirectory } from '../zendesk/zendesk-directory.ts';
import { ZendeskHelpdesk } from '../zendesk/zendesk-helpdesk.ts';
import { ZendeskHttp } from '../zendesk/zendesk-http.ts';
import { ZendeskUserExport } from '../zendesk/zendesk-user-export.ts';

export interface ZendeskParts {
  http: ZendeskHttp;
  helpdesk: ZendeskHelpdesk;
  directory: ZendeskDirectory;
  /** The incremental user export (the phone directory mirror). */
  userExport: ZendeskUserExport;
}

export function zendeskFromProfile(
  zendesk: ResolvedProfile['zendesk'],
  logger: Logger,
  onRequest?: (endpoint: string) => void,
  timeoutMs?: number,
): ZendeskParts {
  const auth: ZendeskAuth =
    zendesk.auth.type === 'oauth'
      ? oauthAuth(zendesk.auth, httpTokenRefresher(zendesk.baseUrl))
      : apiTokenAuth(zendesk.auth.email, zendesk.auth.token);
  const http = new ZendeskHttp({
    baseUrl: zendesk.baseUrl,
    auth,
    logger,
    ...(onRequest ? { onRequest } : {}),
    ...(timeoutMs ? { timeoutMs } : {}),
  });
  // The export's own limit (10 a minute) answers 429s of its own: a rate gate of its own keeps
  // them from holding every lane. Same lanes (background) and the same credentials.
  const exportHttp = new ZendeskHttp({
    baseUrl: zendesk.baseUrl,
    auth,
    logger,
    lanes: http.lanes,
    ...(onRequest ? { onRequest } : {}),
  });
  return {
    http,
    helpdesk: new ZendeskHelpdesk({ http, talkPartnerEdition: zendesk.talkPartnerEdition, logger }),
    directory: new ZendeskDirectory(http),
    userExport: new ZendeskUserExport(exportHttp),
  };
}
