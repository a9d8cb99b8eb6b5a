/** What a handler answers. The server turns it into bytes (or a fault replaces it). */
export interface Reply {
  status: number;
  /** JSON body; omitted for an empty body (the Talk display endpoints answer 200 with nothing). */
  body?: unknown;
  /** A non-JSON body, e.g. an attachment's bytes. */
  raw?: { data: Buffer; contentType: string };
  headers?: Record<string, string>;
}

export function json(status: number, body: unknown, headers?: Record<string, string>): Reply {
  return headers ? { status, body, headers } : { status, body };
}

export function notFound(): Reply {
  return json(404, { error: 'RecordNotFound', description: 'Not found' });
}

export function invalidEndpoint(): Reply {
  return json(404, { error: 'InvalidEndpoint', description: 'Not found' });
}

export function unauthorized(): Reply {
  return json(401, { error: "Couldn't authenticate you" });
}

export function forbidden(): Reply {
  return json(403, {
    error: 'Forbidden',
    description:
      'You do not have access to this page. Please contact the account owner of this help desk for further help.',
  });
}

export function badRequest(error: string, description: string): Reply {
  return json(400, { error, description });
}

export interface FieldError {
  description: string;
  error: string;
}

/** Collects validation problems into Zendesk's 422 RecordInvalid shape. */
export class Problems {
  readonly #details: Record<string, FieldError[]> = {};

  add(field: string, error: string, description: string): void {
    const list = this.#details[field] ?? [];
    list.push({ description, error });
    this.#details[field] = list;
  }

  any(): boolean {
    return Object.keys(this.#details).length > 0;
  }

  reply(): Reply {
    return json(422, {
      error: 'RecordInvalid',
      description: 'Record validation errors',
      details: this.#details,
    });
  }
}
