import type { Logger } from '../../src/log/logger.ts';
import { type FakeZendesk, type ManualClock, startFakeZendesk } from '../../src/sim/zendesk/index.ts';
import { Secret } from '../../src/util/secret.ts';
import { apiTokenAuth, type ZendeskAuth } from '../../src/zendesk/auth.ts';
import { OAuthSession } from '../../src/zendesk/oauth-session.ts';
import { zendeskTokenEndpoint } from '../../src/zendesk/oauth-token-endpoint.ts';
import type { RateClock } from '../../src/zendesk/rate-gate.ts';
import { ZendeskDirectory } from '../../src/zendesk/zendesk-directory.ts';
import { ZendeskHelpdesk } from '../../src/zendesk/zendesk-helpdesk.ts';
import { ZendeskHttp } from '../../src/zendesk/zendesk-http.ts';

/** A rate clock driven by the fake's manual clock: waiting advances simulated time, not real time. */
export function manualRateClock(clock: ManualClock): RateClock & { slept: number[] } {
  const slept: number[] = [];
  return {
    slept,
    now: () => clock.now(),
    sleep: async (ms) => {
      slept.push(ms);
      clock.advance(ms);
    },
  };
}

export interface ClientUnderTest {
  zd: FakeZendesk;
  http: ZendeskHttp;
  helpdesk: ZendeskHelpdesk;
  directory: ZendeskDirectory;
}

export async function zendeskWithClient(options: {
  logger: Logger;
  clock?: ManualClock;
  talkPartnerEdition?: boolean;
  auth?: (zd: FakeZendesk) => ZendeskAuth;
  fake?: Parameters<typeof startFakeZendesk>[0];
}): Promise<ClientUnderTest> {
  const zd = await startFakeZendesk({
    ...(options.clock ? { clock: options.clock } : {}),
    talkPartnerEdition: options.talkPartnerEdition ?? true,
    ...options.fake,
  });
  const auth = options.auth?.(zd) ?? apiTokenAuth('admin@example.com', new Secret('fake-api-token', 'test'));
  const http = new ZendeskHttp({
    baseUrl: zd.url,
    auth,
    logger: options.logger,
    ...(options.clock ? { clock: manualRateClock(options.clock) } : {}),
  });
  return {
    zd,
    http,
    helpdesk: new ZendeskHelpdesk({
      http,
      talkPartnerEdition: options.talkPartnerEdition ?? true,
      logger: options.logger,
    }),
    directory: new ZendeskDirectory(http),
  };
}

/** OAuth with the fake's default client, tokens in memory only (not started: no timers). */
export function oauthFor(
  zd: FakeZendesk,
  accessToken: string,
  refreshToken: string,
  logger: Logger,
): OAuthSession {
  return new OAuthSession({
    credentials: {
      accessToken: new Secret(accessToken, 'test'),
      refreshToken: new Secret(refreshToken, 'test'),
      clientId: 'cti-bridge',
      clientSecret: new Secret('fake-client-secret', 'test'),
    },
    baseUrl: zd.url,
    endpoint: zendeskTokenEndpoint(zd.url),
    logger,
  });
}
