import type { ResolvedProfile } from '../config/config-dir.ts';
import type { Logger } from '../log/logger.ts';
import { apiTokenAuth, type ZendeskAuth } from '../zendesk/auth.ts';
import { OAuthSession } from '../zendesk/oauth-session.ts';
import { type TokenRequestResult, zendeskTokenEndpoint } from '../zendesk/oauth-token-endpoint.ts';
import { TokenFile } from '../zendesk/oauth-token-file.ts';
import { ZendeskDirectory } from '../zendesk/zendesk-directory.ts';
import { ZendeskHelpdesk } from '../zendesk/zendesk-helpdesk.ts';
import { ZendeskHttp, type ZendeskHttpOptions } from '../zendesk/zendesk-http.ts';
import { ZendeskUserExport } from '../zendesk/zendesk-user-export.ts';

export interface ZendeskParts {
  http: ZendeskHttp;
  helpdesk: ZendeskHelpdesk;
  directory: ZendeskDirectory;
  /** The incremental user export (the phone directory mirror). */
  userExport: ZendeskUserExport;
  /** Start it before the first request and stop it after the last (OAuth refresh timers). */
  auth: ZendeskAuth;
}

export interface ZendeskPartsOptions {
  onRequest?: (endpoint: string) => void;
  /** How each request ended (the daemon's metrics and readiness). */
  onResult?: ZendeskHttpOptions['onResult'];
  /** How each OAuth token refresh request ended (the daemon's metrics). */
  onTokenRequest?: (result: TokenRequestResult) => void;
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
          endpoint: zendeskTokenEndpoint(
            zendesk.baseUrl,
            options.onTokenRequest ? { onResult: options.onTokenRequest } : {},
          ),
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
  // The export's own limit (10 a minute) answers 429s of its own: a rate gate of its own keeps
  // them from holding every lane. Same lanes (background) and the same credentials.
  const exportHttp = new ZendeskHttp({
    baseUrl: zendesk.baseUrl,
    auth,
    logger,
    lanes: http.lanes,
    ...(options.onRequest ? { onRequest: options.onRequest } : {}),
    ...(options.onResult ? { onResult: options.onResult } : {}),
  });
  return {
    http,
    helpdesk: new ZendeskHelpdesk({ http, talkPartnerEdition: zendesk.talkPartnerEdition, logger }),
    directory: new ZendeskDirectory(http),
    userExport: new ZendeskUserExport(exportHttp),
    auth,
  };
}
