import { z } from 'zod';
import type { LogFormat, LogLevel } from '../log/logger.ts';
import { DEFAULT_LISTEN } from '../ops/listen-address.ts';
import {
  absolutePath,
  cacheStore,
  countryCode,
  cronExpression,
  ipAddress,
  isSmbTarget,
  nonEmptyText,
  shareSubdirectory,
  shareTarget,
  ticketTag,
  ticketTemplate,
} from './schema-checks.ts';
import { zendeskSchema } from './schema-zendesk.ts';
import { secretRef } from './secret-ref.ts';

/**
 * One configuration profile (`config/<name>.yaml`). Every object is strict so a misspelt key is an
 * error, and every field carries a description: docs/configuration.md is generated from them.
 * Secrets stay reference strings here; load-profile.ts resolves them.
 */

const int = (min: number, max: number) => z.number().int().min(min).max(max);
const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const pbxSchema = z
  .strictObject({
    host: nonEmptyText().describe('Host name or IP address of the Asterisk Manager Interface (AMI).'),
    port: int(1, 65535).default(5038).describe('AMI TCP port.'),
    username: nonEmptyText().describe('AMI user (a `[section]` of manager.conf).'),
    secret: secretRef('Password of the AMI user.'),
    userEmails: z
      .record(z.string(), z.email().describe('Email of the Zendesk agent using this extension.'))
      .optional()
      .describe('Extension → agent email, for PBXs whose voicemail boxes carry no email.')
      .meta({ keyLabel: 'extension' }),
  })
  .describe('The Asterisk PBX, reached over AMI.');

const defaultUserSchema = z
  .strictObject({
    email: z.email().describe('Email of the Zendesk user that unknown callers are filed under.'),
    name: nonEmptyText().describe('Name of that user, used when the bridge creates it.'),
  })
  .describe(
    'The Zendesk user for callers nobody knows (`defaultUser`), and with `newUser` for callers without a number (withheld, missing).',
  );

const unknownCallersSchema = z
  .discriminatedUnion(
    'strategy',
    [
      z.strictObject({
        strategy: z.literal('defaultUser').describe('`defaultUser` or `newUser`.'),
        defaultUser: defaultUserSchema,
      }),
      z.strictObject({
        strategy: z.literal('newUser').describe('`defaultUser` or `newUser`.'),
        // A withheld or missing number has nothing to create a user for: those tickets go here.
        defaultUser: defaultUserSchema,
      }),
    ],
    {
      error: (issue) => {
        if (issue.input === undefined)
          return 'required section is missing; set strategy: defaultUser or newUser';
        if (!isRecord(issue.input))
          return 'expected a mapping with strategy: defaultUser or strategy: newUser';
        return issue.input.strategy === undefined
          ? 'required: defaultUser or newUser'
          : 'must be defaultUser (file the ticket under one shared user) or newUser (create a user per number)';
      },
    },
  )
  .describe(
    'Callers whose number matches no Zendesk user: `defaultUser` files the ticket under one shared user, `newUser` creates a user for the number.',
  );

const queueSchema = z
  .strictObject(
    {
      group: nonEmptyText()
        .optional()
        .describe('Zendesk group for the queue’s tickets; default: the group named like the queue.'),
      record: z.boolean().default(false).describe('Record calls of this queue and attach the recording.'),
    },
    // a bare `sales:` line is the common slip: say how to ask for the defaults
    { error: 'expected the queue’s settings, like { record: true }; write {} for the defaults' },
  )
  .describe('Settings of one queue.');

const queuesSchema = z
  .record(z.string().min(1, { error: 'a queue name must not be empty' }), queueSchema)
  .refine((queues) => Object.keys(queues).length > 0, {
    error: 'list at least one queue, like support: { record: false }',
  })
  .describe('The PBX queues the bridge handles: queue name → settings. Calls in other queues are ignored.')
  .meta({ keyLabel: 'queue' });

const lookupSchema = z
  .strictObject({
    defaultCountry: countryCode().describe(
      'Country of national numbers (ISO 3166-1 alpha-2, like `DE`): turns 030 1234567 into +49301234567.',
    ),
    answerWaitMs: int(0, 10_000)
      .default(1500)
      .describe('How long an answered call waits for its caller lookup still in flight, in milliseconds.'),
    source: z
      .enum(['search', 'mirror'])
      .default('search')
      .describe(
        '`search`: each new number is searched in Zendesk (one request; new users show up after minutes). `mirror`: the bridge keeps a copy of every end user’s numbers (loaded at start through the incremental user export, then polled every minute) and looks callers up without a request. See docs/lookup.md.',
      ),
    mirror: z
      .strictObject({
        maxNumbers: int(1_000, 10_000_000)
          .default(500_000)
          .describe(
            'Most phone numbers the mirror holds (about 90 bytes each: 45 MB for 500,000); beyond it the mirror switches itself off with a WARN and lookups search.',
          ),
        staleAfterMinutes: int(2, 1_440)
          .default(5)
          .describe(
            'When polls for changes have failed this long, lookups search Zendesk until a poll succeeds again.',
          ),
      })
      .prefault({})
      .describe('The phone directory mirror (with `source: mirror`).'),
  })
  .describe('Finding the caller in Zendesk.');

const cacheSchema = z
  .strictObject({
    store: cacheStore()
      .default('memory')
      .describe('`memory`, `sqlite:<file path>`, or a `redis://…` / `rediss://…` URL (without password).'),
    password: secretRef('Redis password (only with a redis store).').optional(),
    positiveTtlSeconds: int(1, 2_592_000)
      .default(86_400)
      .describe('How long a found caller is remembered, in seconds.'),
    negativeTtlSeconds: int(1, 86_400)
      .default(300)
      .describe('How long "no such caller" is remembered, in seconds.'),
  })
  .superRefine(
    (value, ctx) => {
      const cache = value as Record<string, unknown>;
      const redis = typeof cache.store === 'string' && /^rediss?:/.test(cache.store);
      if (cache.password !== undefined && !redis) {
        ctx.addIssue({
          code: 'custom',
          path: ['password'],
          message: 'only used with a redis store; remove it',
        });
      }
    },
    { when: (payload) => isRecord(payload.value) },
  )
  .prefault({})
  .describe('Cache of caller lookups.');

const recordingsSchema = z
  .strictObject({
    directory: absolutePath().describe(
      'Where Asterisk writes the recordings (absolute path); the bridge reads them from here.',
    ),
    asteriskDirectory: absolutePath()
      .optional()
      .describe(
        'The same directory as Asterisk sees it, when the bridge runs on another host and mounts it elsewhere (default: `directory`).',
      ),
    retentionDays: int(1, 3650)
      .default(30)
      .describe('Days a recording is kept locally; deleted only once a verified copy is on the share.'),
    settleSeconds: int(1, 600)
      .default(2)
      .describe(
        'After the hangup, a recording is complete once its WAV header is final or its size has not changed for this long.',
      ),
    giveUpSeconds: int(1, 86_400)
      .default(300)
      .describe(
        'After the hangup, a recording that has not appeared or is still growing after this long is reported as failed (the file is kept).',
      ),
  })
  .describe('Call recordings.');

const shareSchema = z
  .strictObject({
    target: shareTarget().describe(
      '`smb://host/share` (or `smb://host:port/share`), or an absolute directory where the OS mounted the share.',
    ),
    domain: nonEmptyText().optional().describe('Windows domain or workgroup (smb only).'),
    username: nonEmptyText().optional().describe('Share user (required for smb).'),
    password: secretRef('Password of the share user (required for smb).').optional(),
    subdirectory: shareSubdirectory()
      .default('')
      .describe(
        'Folder below the share, with forward slashes (`Callcenter/Berlin`); recordings go to `<subdirectory>/RecordedCalls/`.',
      ),
    schedule: cronExpression().default('*/15 * * * *').describe('When to copy, as a cron expression.'),
  })
  .superRefine(
    (value, ctx) => {
      const share = value as Record<string, unknown>;
      if (isSmbTarget(share.target)) {
        for (const key of ['username', 'password'] as const) {
          if (share[key] === undefined) {
            ctx.addIssue({
              code: 'custom',
              path: [key],
              message: 'required for an smb:// target',
              input: undefined,
            });
          }
        }
      } else if (typeof share.target === 'string') {
        for (const key of ['domain', 'username', 'password'] as const) {
          if (share[key] !== undefined) {
            ctx.addIssue({
              code: 'custom',
              path: [key],
              message: 'only used with an smb:// target; the OS mounts a local directory, so remove it',
            });
          }
        }
      }
    },
    { when: (payload) => isRecord(payload.value) },
  )
  .optional()
  .describe('Copying recordings to a file share for supervisors.');

const syncSchema = z
  .strictObject({
    intervalMinutes: int(0, 10_080)
      .default(60)
      .describe(
        'Minutes between directory syncs (PBX users ↔ Zendesk agents, queues ↔ groups); 0 = only at start and on `cti-bridge sync`.',
      ),
  })
  .prefault({})
  .describe('Directory sync.');

const ticketsSchema = z
  .strictObject({
    subject: ticketTemplate()
      .default('Call from {callerNumber}')
      .describe('Subject of a new ticket. Placeholders: {callerNumber} {callerName} {queue} {agent} {time}.'),
    comment: ticketTemplate()
      .default(
        'Inbound call from {callerName} <{callerNumber}> in queue {queue}, answered by {agent} at {time}.',
      )
      .describe('First comment of a new ticket; same placeholders.'),
    tags: z.array(ticketTag()).default(['cti-bridge', 'phone']).describe('Tags set on every new ticket.'),
  })
  .prefault({})
  .describe('What a new ticket says.');

const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const satisfies readonly LogLevel[];
const LOG_FORMATS = ['auto', 'json', 'text'] as const satisfies readonly LogFormat[];

const loggingSchema = z
  .strictObject({
    level: z.enum(LOG_LEVELS).default('info').describe('Least severe level written.'),
    format: z
      .enum(LOG_FORMATS)
      .default('auto')
      .describe(
        '`json` lines (for journald), readable `text`, or `auto`: text on a terminal, JSON otherwise.',
      ),
  })
  .prefault({})
  .describe('Log output.');

const operationsSchema = z
  .strictObject({
    address: ipAddress()
      .default(DEFAULT_LISTEN.address)
      .describe(
        'Address of the health, metrics and status listener. It has no authentication: keep it on loopback or behind a firewall.',
      ),
    port: int(0, 65535)
      .default(DEFAULT_LISTEN.port)
      .describe(
        'Port of that listener (`/healthz`, `/readyz`, `/metrics`, `/status`); 0 picks a free one. `cti-bridge run --listen` wins over both keys.',
      ),
  })
  .prefault({})
  .describe('The operations listener: health, readiness, Prometheus metrics and `cti-bridge status`.');

export const profileSchema = z
  .strictObject({
    active: z
      .boolean()
      .describe(
        'Whether the daemon runs this profile. At most one profile is active; use `cti-bridge config activate`.',
      ),
    stateDirectory: absolutePath()
      .default('/var/lib/cti-bridge')
      .describe(
        'Where the bridge keeps its journal (`<profile>.journal.sqlite`) and, with OAuth, the current tokens (`<profile>.oauth.json`, mode 0600); must survive restarts.',
      ),
    stopTimeoutSeconds: int(1, 600)
      .default(10)
      .describe(
        'On SIGTERM or a profile switch: how long in-flight tickets and wrap-ups may take before the daemon stops anyway (the journal keeps the rest for the next start).',
      ),
    pbx: pbxSchema,
    zendesk: zendeskSchema,
    unknownCallers: unknownCallersSchema,
    queues: queuesSchema,
    wrapUpSeconds: int(0, 3600)
      .default(30)
      .describe(
        'Wrap-up time after a call ends, in seconds; then the bridge reads the ticket back and adds the caller’s number to the requester the agent chose.',
      ),
    lookup: lookupSchema,
    cache: cacheSchema,
    recordings: recordingsSchema,
    share: shareSchema,
    sync: syncSchema,
    tickets: ticketsSchema,
    logging: loggingSchema,
    operations: operationsSchema,
  })
  .describe('A cti-bridge configuration profile.');

/** A validated profile: defaults applied, secrets still `env:`/`file:` references. */
export type Profile = z.output<typeof profileSchema>;
