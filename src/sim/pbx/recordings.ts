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

  /** Ends the channel's recording; undefined when none was running, else when its file is final. */
  stop(ch: SimChannel): Promise<void> | undefined {
    const opening = this.#byChannel.get(ch.uniqueid);
    if (!opening) return undefined;
    this.#byChannel.delete(ch.uniqueid);
    return this.#track(opening.then((r) => r?.close()));
  }

  /** Stops every recording and resolves once all files (earlier stops included) are final. */
  async closeAll(): Promise<void> {
    for (const opening of this.#byChannel.values()) this.#track(opening.then((r) => r?.close()));
    this.#byChannel.clear();
    await Promise.all(this.#closing);
  }

  #track(closing: Promise<unknown>): Promise<void> {
    const p: Promise<void> = closing
      .then(() => undefined)
      .catch((err: unknown) => {
        this.#logger.warn('MixMonitor recording could not be finished', { error: String(err) });
      })
      .finally(() => this.#closing.delete(p));
    this.#closing.add(p);
    return p;
  }
}
