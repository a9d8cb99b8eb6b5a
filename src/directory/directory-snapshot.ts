import type { Directory } from '../calls/ports.ts';
import { memberExtension } from './member-extension.ts';

/** The result of one sync: immutable, swapped in whole so a call never sees half a sync. */
export class DirectorySnapshot implements Directory {
  readonly #agentByExtension: ReadonlyMap<string, number>;
  readonly #groupByQueue: ReadonlyMap<string, number>;
  readonly #protected: ReadonlySet<number>;
  readonly #defaultUserId: number | undefined;

  constructor(init: {
    agentByExtension: Map<string, number>;
    groupByQueue: Map<string, number>;
    agentIds: Iterable<number>;
    defaultUserId: number | undefined;
  }) {
    this.#agentByExtension = init.agentByExtension;
    this.#groupByQueue = init.groupByQueue;
    this.#defaultUserId = init.defaultUserId;
    this.#protected = new Set([
      ...init.agentIds,
      ...(init.defaultUserId === undefined ? [] : [init.defaultUserId]),
    ]);
  }

  static empty(): DirectorySnapshot {
    return new DirectorySnapshot({
      agentByExtension: new Map(),
      groupByQueue: new Map(),
      agentIds: [],
      defaultUserId: undefined,
    });
  }

  agentFor(member: { extension: string | undefined; interface: string }): number | undefined {
    const extension = member.extension ?? memberExtension(member.interface);
    return extension === undefined ? undefined : this.#agentByExtension.get(extension);
  }

  groupFor(queue: string): number | undefined {
    return this.#groupByQueue.get(queue);
  }

  defaultUserId(): number | undefined {
    return this.#defaultUserId;
  }

  isProtectedUser(userId: number): boolean {
    return this.#protected.has(userId);
  }

  get counts(): { agents: number; groups: number } {
    return { agents: this.#agentByExtension.size, groups: this.#groupByQueue.size };
  }
}
