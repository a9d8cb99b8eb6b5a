import type { Directory } from '../calls/ports.ts';
import { memberExtension } from './member-extension.ts';

/** What a sync could not match, by name, as its WARN lines say it (`cti-bridge status`). */
export interface UnmatchedReport {
  /** `101 <anna@example.com>`: PBX users with no Zendesk agent of that email. */
  users: string[];
  /** `102 (Ben)`: PBX users without an email. */
  withoutEmail: string[];
  /** `support → "Support"`: queues with no Zendesk group of that name. */
  queues: string[];
  /** Configured queues the PBX does not have. */
  missingOnPbx: string[];
}

/** The result of one sync: immutable, swapped in whole so a call never sees half a sync. */
export class DirectorySnapshot implements Directory {
  readonly #agentByExtension: ReadonlyMap<string, number>;
  readonly #groupByQueue: ReadonlyMap<string, number>;
  readonly #protected: ReadonlySet<number>;
  readonly #defaultUserId: number | undefined;
  readonly unmatched: UnmatchedReport;

  constructor(init: {
    agentByExtension: Map<string, number>;
    groupByQueue: Map<string, number>;
    agentIds: Iterable<number>;
    defaultUserId: number | undefined;
    unmatched?: UnmatchedReport;
  }) {
    this.unmatched = init.unmatched ?? { users: [], withoutEmail: [], queues: [], missingOnPbx: [] };
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
