import type { ResolvedProfile } from '../config/config-dir.ts';
import type { Logger } from '../log/logger.ts';
import { apiTokenAuth, type ZendeskAuth } from '../zendesk/auth.ts';
import { OAuthSession } from '../zendesk/oauth-session.ts';
import { zendeskTokenEndpoint } from '../zendesk/oauth-token-endpoint.ts';
import { TokenFile } from '../zendesk/oauth-token-file.ts';
import { ZendeskDirectory } from '../zendesk/zendesk-directory.ts';
import { ZendeskHelpdesk } from '../zendesk/zendesk-helpdesk.ts';
import { ZendeskHttp, type ZendeskHttpOptions } from '../zendesk/zendesk-http.ts';

export interface ZendeskParts {
  http: ZendeskHttp;
  helpdesk: ZendeskHelpdesk;
  directory: ZendeskDirectory;
  /** Start it before the first request and stop it after the last (OAuth refresh timers). */
  auth: ZendeskAuth;
}

export interface ZendeskPartsOptions {
  onRequest?: (endpoint: string) => void;
  /** How each request ended (the daemon's metrics and readiness). */
  onResult?: ZendeskHttpOptions['onResult'];
  timeoutMs?: number;
  /** `<stateDirectory>/<profile>.oauth.json` (TokenFile.pathFor); OAuth only. */
  tokenFile?: string;
}

export function zendeskFromProfile(
  zendesk: ResolvedProfile['zendesk'],
  logger: Logger,
  options: ZendeskPartsOptions = {},
): ZendeskParts {
  const auth: ZendeskAuth =
    zendesk.auth.type === 'oauth'
      ? new OAuthSession({
          credentials: zendesk.auth,
          baseUrl: zendesk.baseUrl,
          endpoint: zendeskTokenEndpoint(zendesk.baseUrl),
          logger,
          ...(options.tokenFile ? { tokenFile: new TokenFile(options.tokenFile) } : {}),
        })
      : apiTokenAuth(zendesk.auth.email, zendesk.auth.token);
  const http = new ZendeskHttp({
    baseUrl: zendesk.baseUrl,
    auth,
    logger,
    ...(options.onRequest ? { onRequest: options.onRequest } : {}),
    ...(options.onResult ? { onResult: options.onResult } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  });
  return {
    http,
    helpdesk: new ZendeskHelpdesk({ http, talkPartnerEdition: zendesk.talkPartnerEdition, logger }),
    directory: new ZendeskDirectory(http),
    auth,
  };
}
