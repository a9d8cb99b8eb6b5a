import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * A resolved secret value. It prints as `[redacted]` wherever it ends up (string templates, JSON,
 * util.inspect, error messages), so only code that calls `reveal()` ever sees the value — the
 * AMI login and the Zendesk Authorization header, nothing else.
 */
export class Secret {
  readonly #value: string;
  /** Where the value came from (`env:NAME`, `file:/path`): safe to print. */
  readonly source: string;

  constructor(value: string, source: string) {
    this.#value = value;
    this.source = source;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return `Secret(${this.source})`;
  }
}
