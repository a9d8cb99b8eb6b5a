import { loadConfigDir } from '../config/config-dir.ts';
import { ConfigError } from '../config/errors.ts';
import { createLogger, type LogFormat, type Logger } from '../log/logger.ts';
import { createIntegration as defaultIntegration } from './create-integration.ts';
import { Daemon } from './daemon.ts';
import type { IntegrationFactory } from './integration.ts';
import { SystemdService } from './systemd-service.ts';

export interface RunDaemonOptions {
  configDir: string;
  env: NodeJS.ProcessEnv;
  createIntegration?: IntegrationFactory;
  logger?: Logger;
  /** Exit hook, injectable so the demo can run the daemon in-process. */
  exit?: (code: number) => void;
}

/**
 * The process around the Daemon: logger, signals, exit codes. SIGTERM/SIGINT stop within the
 * bound and exit 0; a second signal exits at once; SIGHUP re-reads the configuration.
 */
export async function runDaemon(options: RunDaemonOptions): Promise<Daemon> {
  const logger = options.logger ?? createLogger({ format: await activeLogFormat(options) });
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const log = logger.child('daemon');
  // Type=notify: READY/STATUS/WATCHDOG/STOPPING; nothing at all without $NOTIFY_SOCKET.
  const systemd = SystemdService.fromEnv({ env: options.env, logger });
  const daemon: Daemon = new Daemon({
    configDir: options.configDir,
    env: options.env,
    logger,
    createIntegration: options.createIntegration ?? defaultIntegration,
    onChange: () => systemd?.refresh(daemon),
  });

  // Watchers and timers are unref'd so tests can run the Daemon in-process; the process itself
  // must stay up even when idle.
  const keepAlive = setInterval(() => {}, 3_600_000);
  let stopping = false;
  const shutdown = (reason: string, code: number) => {
    if (stopping) {
      log.warn('second stop request: exiting now', { reason });
      exit(1);
      return;
    }
    stopping = true;
    clearInterval(keepAlive);
    systemd?.stopping();
    log.info('stopping', { reason });
    daemon
      .stop()
      .then(
        () => code,
        (error: unknown) => {
          log.error('stop failed', { err: error });
          return 1;
        },
      )
      .then(async (exitCode) => {
        await systemd?.close();
        await logger.flush();
        exit(exitCode);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM', 0));
  process.on('SIGINT', () => shutdown('SIGINT', 0));
  process.on('SIGHUP', () => void daemon.reload());
  process.on('SIGUSR2', () => void daemon.requestSync());
  process.on('uncaughtException', (error) => {
    log.error('uncaught exception', { err: error });
    shutdown('uncaught exception', 1);
  });
  process.on('unhandledRejection', (error) => {
    log.error('unhandled promise rejection', { err: error });
    shutdown('unhandled promise rejection', 1);
  });

  log.info('starting', { configDir: options.configDir, pid: process.pid, node: process.version });
  try {
    await daemon.start();
    void systemd?.started(daemon);
  } catch (error) {
    if (error instanceof ConfigError) {
      log.error('refusing to start: the configuration has errors', { problems: error.problems });
    } else {
      log.error('refusing to start', { err: error });
    }
    clearInterval(keepAlive);
    await systemd?.close();
    await logger.flush();
    exit(1);
  }
  return daemon;
}

async function activeLogFormat(options: RunDaemonOptions): Promise<LogFormat> {
  const state = await loadConfigDir(options.configDir, { env: options.env }).catch(() => undefined);
  const active = state?.active.kind === 'one' ? state.active.profile.profile : undefined;
  return active?.logging.format ?? 'auto';
}
