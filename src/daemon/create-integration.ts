import { CallIntegration } from '../integration/call-integration.ts';
import type { IntegrationFactory } from './integration.ts';

/** The production integration: AMI link, Zendesk client, start-up sync, call handling. */
export const createIntegration: IntegrationFactory = (profile, deps) => new CallIntegration(profile, deps);
