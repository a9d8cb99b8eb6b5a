import type { FileHandle } from 'node:fs/promises';
import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';

/**
 * A MixMonitor recording as Asterisk's format_wav writes it: 8 kHz 16-bit mono PCM after a
 * 44-byte RIFF header whose sizes stay 0 while the call is up and are fixed when the file is
 * closed (hangup or StopMixMonitor). The file grows in real time.
 */

export const WAV_HEADER_BYTES = 44;
const SAMPLE_RATE = 8000;
const BYTES_PER_SAMPLE = 2;

export interface WavRecorderOptions {
  path: string;
  /** How often PCM is appended (default 100 ms). */
  blockMs?: number;
  /** Tone written as the audio (default the lab agent's 1004 Hz). */
  toneHz?: number;
  now?: () => number;
}

export function wavHeader(dataBytes: number): Buffer {
  const h = Buffer.alloc(WAV_HEADER_BYTES);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(dataBytes === 0 ? 0 : 36 + dataBytes, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(SAMPLE_RATE, 24);
  h.writeUInt32LE(SAMPLE_RATE * BYTES_PER_SAMPLE, 28);
  h.writeUInt16LE(BYTES_PER_SAMPLE, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

export class WavRecorder {
  readonly path: string;
  readonly #fd: FileHandle;
  readonly #now: () => number;
  readonly #toneHz: number;
  readonly #timer: NodeJS.Timeout;
  #dataBytes = 0;
  #phase = 0;
  #lastAt: number;
  /** Writes are chained so appends never overlap or reorder. */
  #chain: Promise<void> = Promise.resolve();
  #closed: Promise<void> | undefined;
  #error: unknown;

  private constructor(fd: FileHandle, options: WavRecorderOptions) {
    this.path = options.path;
    this.#fd = fd;
    this.#now = options.now ?? Date.now;
    this.#toneHz = options.toneHz ?? 1004;
    this.#lastAt = this.#now();
    this.#timer = setInterval(() => this.#append(), options.blockMs ?? 100);
    this.#timer.unref();
  }

  static async open(options: WavRecorderOptions): Promise<WavRecorder> {
    await mkdir(path.dirname(options.path), { recursive: true });
    const fd = await open(options.path, 'w');
    await fd.write(wavHeader(0), 0, WAV_HEADER_BYTES, 0);
    return new WavRecorder(fd, options);
  }

  get dataBytes(): number {
    return this.#dataBytes;
  }

  /** Writes the audio up to now, fixes the header sizes and closes; idempotent. */
  close(): Promise<void> {
    if (!this.#closed) {
      clearInterval(this.#timer);
      this.#append();
      this.#closed = this.#chain.then(async () => {
        try {
          if (this.#error === undefined)
            await this.#fd.write(wavHeader(this.#dataBytes), 0, WAV_HEADER_BYTES, 0);
        } finally {
          await this.#fd.close();
        }
        if (this.#error !== undefined) throw this.#error;
      });
    }
    return this.#closed;
  }

  #append(): void {
    const now = this.#now();
    const samples = Math.floor(((now - this.#lastAt) * SAMPLE_RATE) / 1000);
    if (samples <= 0) return;
    this.#lastAt += (samples * 1000) / SAMPLE_RATE;
    const pcm = this.#tone(samples);
    const at = WAV_HEADER_BYTES + this.#dataBytes;
    this.#dataBytes += pcm.length;
    this.#chain = this.#chain
      .then(async () => {
        if (this.#error === undefined) await this.#fd.write(pcm, 0, pcm.length, at);
      })
      .catch((err: unknown) => {
        this.#error ??= err;
      });
  }

  #tone(samples: number): Buffer {
    const pcm = Buffer.alloc(samples * BYTES_PER_SAMPLE);
    const step = (2 * Math.PI * this.#toneHz) / SAMPLE_RATE;
    for (let i = 0; i < samples; i++) {
      pcm.writeInt16LE(Math.round(6000 * Math.sin(this.#phase)), i * BYTES_PER_SAMPLE);
      this.#phase = (this.#phase + step) % (2 * Math.PI);
    }
    return pcm;
  }
}
