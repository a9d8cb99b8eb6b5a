import { type ConfigDirState, loadConfigDir, type ProfileFile } from '../config/config-dir.ts';
import { ConfigError } from '../config/errors.ts';
import type { Logger } from '../log/logger.ts';
import { takeAdminRequest } from './admin-requests.ts';
import { ConfigWatcher } from './config-watcher.ts';
import type { Integration, IntegrationFactory } from './integration.ts';
import { profileFingerprint } from './profile-fingerprint.ts';

export interface DaemonDeps {
  configDir: string;
  env: NodeJS.ProcessEnv;
  /** Root logger; the daemon registers resolved secrets with it so they are redacted. */
  logger: Logger;
  createIntegration: IntegrationFactory;
  /** false: no directory watching (tests drive `reload()` themselves). */
  watch?: { debounceMs?: number; pollMs?: number } | false;
  /** Bound for stopping the integration (SIGTERM, deactivation). */
  stopTimeoutMs?: number;
  now?: () => number;
  /** Called after start() and each reload() applied the configuration (systemd STATUS=). */
  onChange?: () => void;
}

export type DaemonStatus =
  | { kind: 'idle' }
  | { kind: 'running'; profile: string; file: string }
  | { kind: 'stopped' };

interface Running {
  profile: ProfileFile;
  fingerprint: string;
  integration: Integration;
  /** integration.ready(), asked once: the same promise for as long as this integration runs. */
  ready: Promise<boolean>;
}

/**
 * Composition root and lifecycle: follows the one active profile in the config directory and
 * starts, replaces or stops the integration to match, without a process restart.
 */
export class Daemon {
  readonly #deps: DaemonDeps;
  readonly #log: Logger;
  #running: Running | undefined;
  #watcher: ConfigWatcher | undefined;
  readonly #copies = new Set<Promise<void>>();
  #queue: Promise<void> = Promise.resolve();
  #lastReport = '';
  #stopped = false;

  constructor(deps: DaemonDeps) {
    this.#deps = deps;
    this.#log = deps.logger.child('daemon');
  }

  get status(): DaemonStatus {
    if (this.#stopped) return { kind: 'stopped' };
    if (!this.#running) return { kind: 'idle' };
    return { kind: 'running', profile: this.#running.profile.name, file: this.#running.profile.file };
  }

  /** Refuses (throws ConfigError) when two profiles are active or the active one is invalid. */
  async start(): Promise<void> {
    const state = await this.#load();
    this.#refuseBadStart(state);
    await this.#apply(state);
    this.#deps.onChange?.();
    if (this.#deps.watch !== false) {
      this.#watcher = new ConfigWatcher({
        dir: this.#deps.configDir,
        logger: this.#deps.logger.child('config'),
        onChange: () => this.reload(),
        ...this.#deps.watch,
      });
      this.#watcher.start();
    }
  }

  /** Re-reads the config directory and follows it; serialised with every other transition. */
  reload(): Promise<void> {
    const next = this.#queue.then(async () => {
      if (this.#stopped) return;
      await this.#apply(await this.#load());
      this.#deps.onChange?.();
      if (await takeAdminRequest(this.#deps.configDir, 'sync')) await this.#sync('`cti-bridge sync`');
      if (await takeAdminRequest(this.#deps.configDir, 'copy')) this.#copyNow();
    });
    this.#queue = next.catch(() => {});
    return next;
  }

  /** Resolves true once the running integration is fully up; undefined while idle. */
  integrationReady(): Promise<boolean> | undefined {
    return this.#running?.ready;
  }

  /** Re-runs the running integration's directory sync (SIGUSR2). */
  requestSync(): Promise<void> {
    return this.#sync('SIGUSR2');
  }

  async #sync(origin: string): Promise<void> {
    const integration = this.#running?.integration;
    if (!integration?.sync) {
      this.#log.warn('sync requested, but no integration is running', { origin });
      return;
    }
    this.#log.info('sync requested', { origin });
    await integration.sync();
  }

  /** Not awaited: a copy may take minutes and must not hold up configuration changes. */
  #copyNow(): void {
    const integration = this.#running?.integration;
    if (!integration?.copyNow) {
      this.#log.warn('copy requested, but no integration is running');
      return;
    }
    const copy = integration
      .copyNow()
      .catch((error: unknown) => this.#log.error('copy failed', { err: error }))
      .finally(() => this.#copies.delete(copy));
    this.#copies.add(copy);
  }

  /** Resolves when the copies asked for so far have finished (the demo waits for its copy-now). */
  async idleCopies(): Promise<void> {
    await Promise.all([...this.#copies]);
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#watcher?.stop();
    await this.#queue;
    await this.#stopIntegration('the daemon is stopping');
    this.#log.info('stopped');
  }

  async #load(): Promise<ConfigDirState> {
    return loadConfigDir(this.#deps.configDir, { env: this.#deps.env, secrets: this.#deps.logger.secrets });
  }

  #refuseBadStart(state: ConfigDirState): void {
    if (state.active.kind === 'conflict') throw new ConfigError([conflictMessage(state.active.files)]);
    if (state.active.kind === 'one' && !state.active.profile.valid) {
      throw new ConfigError(state.active.profile.errors);
    }
  }

  async #apply(state: ConfigDirState): Promise<void> {
    const active = state.active;
    if (active.kind === 'conflict') {
      this.#reportOnce('error', conflictMessage(active.files), state, this.#keepingMessage());
      return;
    }
    if (active.kind === 'none') {
      this.#reportOnce('info', 'no configuration profile is active: idle', state, {
        hint: 'activate one with `cti-bridge config activate <name>`',
      });
      await this.#stopIntegration('no profile is active any more');
      return;
    }
    const profile = active.profile;
    if (!profile.valid || !profile.profile) {
      this.#reportOnce('error', `active profile ${profile.file} is invalid`, state, {
        problems: profile.errors,
        ...this.#keepingMessage(),
      });
      return;
    }
    const fingerprint = profileFingerprint(profile.profile);
    if (this.#running?.fingerprint === fingerprint) {
      this.#reportOnce('info', `profile ${profile.name} is active`, state, {});
      return;
    }
    this.#reportOnce('info', `profile ${profile.name} is active`, state, {});
    await this.#stopIntegration(
      this.#running?.profile.name === profile.name
        ? 'the profile changed'
        : `profile ${profile.name} was activated`,
    );
    this.#deps.logger.setLevel(profile.profile.logging.level);
    const integration = this.#deps.createIntegration(profile.profile, { logger: this.#deps.logger });
    try {
      await integration.start();
      const ready = integration.ready?.() ?? Promise.resolve(true);
      this.#running = { profile, fingerprint, integration, ready };
      this.#log.info('integration started', { profile: profile.name, file: profile.file });
    } catch (error) {
      this.#log.error('integration failed to start; will retry on the next configuration change', {
        profile: profile.name,
        err: error,
      });
      await integration.stop(this.#deadline(profile.profile.stopTimeoutSeconds)).catch(() => {});
    }
  }

  async #stopIntegration(reason: string): Promise<void> {
    const running = this.#running;
    if (!running) return;
    this.#running = undefined;
    this.#log.info('stopping integration', { profile: running.profile.name, reason });
    try {
      await running.integration.stop(this.#deadline(running.profile.profile?.stopTimeoutSeconds));
      this.#log.info('integration stopped', { profile: running.profile.name });
    } catch (error) {
      this.#log.error('integration did not stop cleanly', { profile: running.profile.name, err: error });
    }
  }

  #deadline(fromProfile: number | undefined): number {
    const timeoutMs = this.#deps.stopTimeoutMs ?? (fromProfile === undefined ? 10_000 : fromProfile * 1000);
    return (this.#deps.now ?? Date.now)() + timeoutMs;
  }

  #keepingMessage(): Record<string, string> {
    return this.#running
      ? { keeping: `profile ${this.#running.profile.name} keeps running until this is fixed` }
      : { state: 'idle until this is fixed' };
  }

  /** The watcher polls: say each distinct situation once, not every few seconds. */
  #reportOnce(
    level: 'info' | 'error',
    msg: string,
    state: ConfigDirState,
    fields: Record<string, unknown>,
  ): void {
    const warnings = [...state.warnings, ...state.profiles.flatMap((p) => p.warnings)];
    const report = JSON.stringify([level, msg, fields, warnings]);
    if (report === this.#lastReport) return;
    this.#lastReport = report;
    for (const warning of warnings) this.#deps.logger.child('config').warn(warning);
    this.#log[level](msg, fields);
  }
}

function conflictMessage(files: string[]): string {
  return `more than one configuration profile is active (${files.join(', ')}); activate exactly one with \`cti-bridge config activate <name>\``;
}
