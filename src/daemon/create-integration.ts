import type { Integration, IntegrationFactory } from './integration.ts';

/**
 * The production integration factory. Call handling (PBX link, Zendesk client, ticket pops) plugs
 * in here; until it does, an active profile is acknowledged and held so activation, reload and
 * shutdown behave exactly as they will with the real integration.
 */
export const createIntegration: IntegrationFactory = (profile, deps): Integration => {
  const log = deps.logger.child('calls').with({ profile: profile.name });
  return {
    async start() {
      log.info('integration up', {
        pbx: `${profile.pbx.host}:${profile.pbx.port}`,
        zendesk: profile.zendesk.baseUrl,
      });
    },
    async stop() {
      log.info('integration down');
    },
  };
};
