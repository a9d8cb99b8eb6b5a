import type { ResolvedProfile } from '../config/config-dir.ts';
import type { Logger } from '../log/logger.ts';

/**
 * What runs while a profile is active: the PBX link, the Zendesk client, call handling,
 * recordings. The daemon starts one when a profile becomes active and stops it when the profile
 * is deactivated, replaced or edited — without a restart of the process.
 */
export interface Integration {
  start(): Promise<void>;
  /** Must finish in-flight work or give up by `deadline` (epoch ms). */
  stop(deadline: number): Promise<void>;
  /**
   * Resolves true once the integration is fully up (the call integration: its start-up sync has
   * finished), false when it is stopped first. Without it, start() is taken as the whole start-up.
   */
  ready?(): Promise<boolean>;
  /** Re-run the directory sync now (`cti-bridge sync`). */
  sync?(): Promise<void>;
  /** Copy recordings to the share now (`cti-bridge recordings copy-now`). */
  copyNow?(): Promise<void>;
}

export interface IntegrationDeps {
  logger: Logger;
}

export type IntegrationFactory = (profile: ResolvedProfile, deps: IntegrationDeps) => Integration;
