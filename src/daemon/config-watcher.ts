import { type FSWatcher, watch } from 'node:fs';
import type { Logger } from '../log/logger.ts';

export interface ConfigWatcherOptions {
  dir: string;
  /** Called (never concurrently) after the directory changed and settled. */
  onChange: () => Promise<void>;
  logger: Logger;
  /** Edits arrive as bursts (temp file, rename, editor backups): wait this long for quiet. */
  debounceMs?: number;
  /** fs.watch misses events on some filesystems (NFS, some bind mounts); a slow poll backs it up. */
  pollMs?: number;
}

/** Watches the config directory and calls `onChange` once per settled burst of changes. */
export class ConfigWatcher {
  readonly #options: Required<ConfigWatcherOptions>;
  #watcher: FSWatcher | undefined;
  #poll: NodeJS.Timeout | undefined;
  #debounce: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;

  constructor(options: ConfigWatcherOptions) {
    this.#options = { debounceMs: 250, pollMs: 5_000, ...options };
  }

  start(): void {
    try {
      this.#watcher = watch(this.#options.dir, { persistent: false }, () => this.#schedule());
      this.#watcher.on('error', (error) => {
        this.#options.logger.warn('config directory watch failed; polling only', { err: error });
        this.#watcher?.close();
        this.#watcher = undefined;
      });
    } catch (error) {
      this.#options.logger.warn('cannot watch the config directory; polling only', { err: error });
    }
    this.#poll = setInterval(() => this.#schedule(), this.#options.pollMs);
    this.#poll.unref();
  }

  async stop(): Promise<void> {
    this.#watcher?.close();
    this.#watcher = undefined;
    clearInterval(this.#poll);
    clearTimeout(this.#debounce);
    await this.#running;
  }

  #schedule(): void {
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => this.#run(), this.#options.debounceMs);
    this.#debounce.unref();
  }

  #run(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#options
      .onChange()
      .catch((error: unknown) =>
        this.#options.logger.error('reloading the configuration failed', { err: error }),
      )
      .finally(() => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          this.#run();
        }
      });
  }
}
