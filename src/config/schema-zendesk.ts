import { z } from 'zod';
import { nonEmptyText } from './schema-checks.ts';
import { secretRef } from './secret-ref.ts';

export const PASSWORD_REFUSED =
  'Zendesk switched off password access for the API in January 2026; use type: oauth (accessToken, refreshToken, clientId, clientSecret)';
export const API_TOKEN_RETIRING =
  'Zendesk retires API tokens: none can be created from 27 Oct 2026 and all are deactivated on 30 Apr 2027; switch to type: oauth';

const SUBDOMAIN = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i;

// A `password` key is refused with the reason rather than reported as an unknown key.
const refusedPassword = () =>
  z
    .never({ error: PASSWORD_REFUSED })
    .optional()
    .describe('Not accepted: Zendesk switched off password access for the API in January 2026.');

const oauthAuth = z.strictObject({
  type: z.literal('oauth').describe('`oauth` (recommended) or `apiToken`.'),
  accessToken: secretRef('OAuth access token (only with `type: oauth`).'),
  refreshToken: secretRef(
    'OAuth refresh token (only with `type: oauth`). Zendesk rotates it at every refresh; the current one is kept in `<profile>.oauth.json`.',
  ),
  clientId: nonEmptyText().describe(
    'Identifier of the OAuth client; not a secret (only with `type: oauth`).',
  ),
  clientSecret: secretRef('Secret of the OAuth client (only with `type: oauth`).'),
  password: refusedPassword(),
});

const apiTokenAuth = z.strictObject({
  type: z.literal('apiToken').describe('`oauth` (recommended) or `apiToken`.'),
  email: z.email().describe('Email of the agent who owns the API token (only with `type: apiToken`).'),
  token: secretRef(
    'Zendesk API token (only with `type: apiToken`). API tokens are retired: none can be created from 27 Oct 2026, all stop working on 30 Apr 2027.',
  ),
  password: refusedPassword(),
});

function authProblem(issue: { code?: string; input?: unknown }): string {
  const input = issue.input;
  if (input === undefined) return 'required: the Zendesk credentials, type: oauth or type: apiToken';
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return 'expected a mapping with type: oauth or type: apiToken';
  }
  const auth = input as Record<string, unknown>;
  if (auth.type === 'password' || Object.hasOwn(auth, 'password')) return PASSWORD_REFUSED;
  if (auth.type === undefined) return 'required: oauth or apiToken';
  return 'must be oauth or apiToken';
}

const authSchema = z
  .discriminatedUnion('type', [oauthAuth, apiTokenAuth], { error: authProblem })
  .describe(
    'How the bridge signs in to Zendesk: `type: oauth` or `type: apiToken`; email and password is refused.',
  );

function urlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a URL; write it like https://acme.zendesk.com';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must start with https://';
  if (url.username || url.password) return 'must not contain credentials; put them in zendesk.auth';
  if (url.search || url.hash) return 'must not have a query or fragment';
  return undefined;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

export const zendeskSchema = z
  .strictObject({
    url: z
      .string()
      .superRefine((value, ctx) => {
        const message = urlProblem(value);
        if (message !== undefined) ctx.addIssue({ code: 'custom', message, input: value });
      })
      .meta({ typeLabel: 'https URL' })
      .optional()
      .describe('Base URL of the Zendesk account, https only. Give either `url` or `subdomain`.'),
    subdomain: z
      .string()
      .regex(SUBDOMAIN, { error: 'must be only the part before .zendesk.com, like acme' })
      .optional()
      .describe(
        'Zendesk subdomain: `acme` means https://acme.zendesk.com. Give either `url` or `subdomain`.',
      ),
    allowInsecureHttp: z
      .boolean()
      .default(false)
      .describe('Allows an http:// `url`; only for the built-in Zendesk simulator.'),
    talkPartnerEdition: z
      .boolean()
      .default(true)
      .describe('The account has Talk Partner Edition: a ticket is created and popped in one request.'),
    auth: authSchema,
  })
  // Runs even when other keys of the section are wrong, so every problem shows at once.
  .superRefine(
    (value, ctx) => {
      const zendesk = value as Record<string, unknown>;
      const hasUrl = zendesk.url !== undefined;
      if (hasUrl && zendesk.subdomain !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['subdomain'],
          message: 'give either url or subdomain, not both',
          input: zendesk.subdomain,
        });
      } else if (!hasUrl && zendesk.subdomain === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['url'],
          message: 'required: url (https://acme.zendesk.com) or subdomain (acme)',
          input: undefined,
        });
      }
      if (
        typeof zendesk.url === 'string' &&
        /^http:/i.test(zendesk.url) &&
        zendesk.allowInsecureHttp !== true
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['url'],
          message:
            'must use https://; http:// is allowed only with allowInsecureHttp: true, for the built-in simulator',
          input: zendesk.url,
        });
      }
    },
    { when: (payload) => isRecord(payload.value) },
  )
  .describe('The Zendesk account.');

export type ZendeskSettings = z.output<typeof zendeskSchema>;

/** `https://acme.zendesk.com` whichever of url/subdomain the profile gives; no trailing slash. */
export function zendeskBaseUrl(zendesk: Pick<ZendeskSettings, 'url' | 'subdomain'>): string {
  if (zendesk.url !== undefined) {
    const url = new URL(zendesk.url);
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  }
  return `https://${zendesk.subdomain!.toLowerCase()}.zendesk.com`;
}
