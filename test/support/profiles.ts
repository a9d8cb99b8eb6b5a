import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface ProfileYamlOptions {
  active?: boolean;
  amiHost?: string;
  amiPort?: number;
  zendeskUrl?: string;
  queues?: Record<string, { group?: string; record?: boolean }>;
  level?: 'error' | 'warn' | 'info' | 'debug';
  recordingsDir?: string;
  /** Default: a directory of this test process, removed when it exits (never /var/lib). */
  stateDirectory?: string;
  strategy?: 'defaultUser' | 'newUser';
  defaultUserEmail?: string;
  wrapUpSeconds?: number;
  answerWaitMs?: number;
  /** `lookup.source`: `mirror` keeps a copy of Zendesk's phone numbers (docs/lookup.md). */
  lookupSource?: 'search' | 'mirror';
  talkPartnerEdition?: boolean;
  userEmails?: Record<string, string>;
  /** More `recordings:` keys (settleSeconds, giveUpSeconds, retentionDays, asteriskDirectory). */
  recordings?: Record<string, string | number>;
  /** A `share:` section, key by key. */
  share?: Record<string, string>;
  /** Extra top-level YAML appended verbatim. */
  extra?: string;
}

/** A complete, valid profile as an admin would write it, comments included. */
export function profileYaml(options: ProfileYamlOptions = {}): string {
  const queues = options.queues ?? { support: { group: 'Support', record: false }, sales: { record: true } };
  const queueLines = Object.entries(queues)
    .map(([name, q]) => {
      const parts = [q.group ? `group: ${q.group}` : '', `record: ${q.record ?? false}`].filter(Boolean);
      return `  ${name}: { ${parts.join(', ')} }`;
    })
    .join('\n');
  const url = options.zendeskUrl ?? 'https://acme.zendesk.com';
  return `# test profile
active: ${options.active ?? false}
stateDirectory: ${options.stateDirectory ?? processStateDirectory()}
pbx:
  host: ${options.amiHost ?? '127.0.0.1'}
  port: ${options.amiPort ?? 5038}
  username: bridge
  secret: env:CTI_AMI_SECRET
${
  options.userEmails
    ? `  userEmails:\n${Object.entries(options.userEmails)
        .map(([k, v]) => `    "${k}": ${v}`)
        .join('\n')}\n`
    : ''
}zendesk:
  url: ${url}
  allowInsecureHttp: ${url.startsWith('http://')}
  talkPartnerEdition: ${options.talkPartnerEdition ?? true}
  auth:
    type: oauth
    accessToken: env:CTI_ZENDESK_ACCESS_TOKEN
    refreshToken: env:CTI_ZENDESK_REFRESH_TOKEN
    clientId: cti-bridge
    clientSecret: env:CTI_ZENDESK_CLIENT_SECRET
unknownCallers:
  strategy: ${options.strategy ?? 'defaultUser'}
  defaultUser: { email: ${options.defaultUserEmail ?? 'unknown-caller@acme.example'}, name: Unknown caller }
wrapUpSeconds: ${options.wrapUpSeconds ?? 30}
queues:
${queueLines}
lookup:
  defaultCountry: DE
  answerWaitMs: ${options.answerWaitMs ?? 1500}
${options.lookupSource ? `  source: ${options.lookupSource}\n` : ''}recordings:
  directory: ${options.recordingsDir ?? '/var/spool/asterisk/monitor/cti-bridge'}
${yamlLines(options.recordings, '  ')}${options.share ? `share:\n${yamlLines(options.share, '  ')}` : ''}logging:
  level: ${options.level ?? 'info'}
${options.extra ?? ''}`;
}

function yamlLines(values: Record<string, string | number> | undefined, indent: string): string {
  return Object.entries(values ?? {})
    .map(([key, value]) => `${indent}${key}: ${JSON.stringify(value)}\n`)
    .join('');
}

let stateDir: string | undefined;

/** One state directory per test process, so no test writes its journal under /var/lib. */
function processStateDirectory(): string {
  if (!stateDir) {
    const dir = mkdtempSync(path.join(tmpdir(), 'cti-state-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    stateDir = dir;
  }
  return stateDir;
}

export interface TempConfigDir {
  dir: string;
  write(name: string, yaml: string): string;
  remove(): void;
}

export function tempConfigDir(): TempConfigDir {
  const dir = mkdtempSync(path.join(tmpdir(), 'cti-config-'));
  return {
    dir,
    write(name, yaml) {
      const file = path.join(dir, `${name}.yaml`);
      writeFileSync(file, yaml);
      return file;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
