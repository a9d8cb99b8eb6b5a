export interface RouteFlags {
  /** No Authorization needed and no rate budget spent (OAuth token endpoint, attachment download). */
  public?: boolean;
  /** Part of Talk Partner Edition: refused when the account has none. */
  talk?: boolean;
  /** Ticket creation: honours Idempotency-Key. */
  idempotent?: boolean;
  /** Accepts a raw body up to the upload limit instead of JSON. */
  rawBody?: boolean;
  /** An incremental export: its own per-minute limit on top of the account's. */
  export?: boolean;
}

export interface Route<H> extends RouteFlags {
  method: string;
  /** `/api/v2/users/{id}`; also the endpoint template recorded for each request. */
  pattern: string;
  handler: H;
}

export interface RouteMatch<H> {
  route: Route<H>;
  params: Record<string, string>;
  endpoint: string;
}

interface Compiled<H> {
  route: Route<H>;
  regex: RegExp;
  names: string[];
}

/**
 * Method + path → handler. Zendesk accepts paths with and without `.json`, so the suffix is
 * optional; a trailing slash is ignored too. Routes are tried in order: list literal paths
 * (`/users/search`) before their `{id}` siblings.
 */
export class Router<H> {
  readonly #routes: Compiled<H>[];

  constructor(routes: Route<H>[]) {
    this.#routes = routes.map((route) => {
      const names: string[] = [];
      const escaped = route.pattern.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      const body = escaped.replace(/\{(\w+)\}/g, (_all, name: string) => {
        names.push(name);
        return '([^/]+?)';
      });
      return { route, names, regex: new RegExp(`^${body}(?:\\.json)?/?$`) };
    });
  }

  match(method: string, pathname: string): RouteMatch<H> | undefined {
    for (const { route, regex, names } of this.#routes) {
      if (route.method !== method) continue;
      const m = regex.exec(pathname);
      if (!m) continue;
      const params: Record<string, string> = {};
      names.forEach((name, i) => {
        params[name] = safeDecode(m[i + 1] ?? '');
      });
      return { route, params, endpoint: `${method} ${route.pattern}` };
    }
    return undefined;
  }
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The endpoint recorded for a request no route matched. */
export function unmatchedEndpoint(method: string): string {
  return `${method} (no route)`;
}
