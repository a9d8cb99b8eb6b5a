/** Every call timer the PBX has running, so close() can clear them all. */
export class TimerSet {
  readonly #timers = new Set<NodeJS.Timeout>();

  after(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
    return t;
  }

  clear(t: NodeJS.Timeout | undefined): void {
    if (!t) return;
    clearTimeout(t);
    this.#timers.delete(t);
  }

  clearAll(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }
}
