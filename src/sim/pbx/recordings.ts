import type { Logger } from '../../log/logger.ts';
import type { SimChannel } from './channels.ts';
import { WavRecorder } from './wav-writer.ts';

/**
 * MixMonitor recordings by channel. A recording ends when its channel hangs up (silently, as in
 * Asterisk: no MixMonitorStop) or on StopMixMonitor.
 */
export class Recordings {
  readonly #byChannel = new Map<string, Promise<WavRecorder | undefined>>();
  readonly #closing = new Set<Promise<void>>();
  readonly #now: () => number;
  readonly #blockMs: number;
  readonly #logger: Logger;

  constructor(options: { now: () => number; blockMs: number; logger: Logger }) {
    this.#now = options.now;
    this.#blockMs = options.blockMs;
    this.#logger = options.logger;
  }

  isRecording(ch: SimChannel): boolean {
    return this.#byChannel.has(ch.uniqueid);
  }

  /** Starts writing `file`; a second MixMonitor on the same channel replaces nothing, it adds. */
  start(ch: SimChannel, file: string): void {
    const opening = WavRecorder.open({ path: file, now: this.#now, blockMs: this.#blockMs }).catch(
      (err: unknown) => {
        // Asterisk answers Success before its thread opens the file; a failure only shows in its log.
        this.#logger.warn('MixMonitor could not open the recording file', { file, error: String(err) });
        return undefined;
      },
    );
    const previous = this.#byChannel.get(ch.uniqueid);
    if (previous) this.#track(previous.then((r) => r?.close()));
    this.#byChannel.set(ch.uniqueid, opening);
  }

  /** Ends the channel's recording; false when none was running. */
  stop(ch: SimChannel): boolean {
    const opening = this.#byChannel.get(ch.uniqueid);
    if (!opening) return false;
    this.#byChannel.delete(ch.uniqueid);
    this.#track(opening.then((r) => r?.close()));
    return true;
  }

  /** Resolves when every recording stopped so far has its final header written. */
  async settled(): Promise<void> {
    while (this.#closing.size > 0) await Promise.all(this.#closing);
  }

  async closeAll(): Promise<void> {
    for (const id of [...this.#byChannel.keys()]) {
      const opening = this.#byChannel.get(id);
      this.#byChannel.delete(id);
      if (opening) this.#track(opening.then((r) => r?.close()));
    }
    await this.settled();
  }

  #track(closing: Promise<unknown>): void {
    const p = closing
      .then(() => undefined)
      .catch((err: unknown) => {
        this.#logger.warn('MixMonitor recording could not be finished', { error: String(err) });
      })
      .finally(() => this.#closing.delete(p));
    this.#closing.add(p);
  }
}
