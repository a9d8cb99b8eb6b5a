import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { TestContext } from 'node:test';

/** Secret values of the test profiles; tests assert they never appear in messages. */
export const SECRET_ENV = {
  CTI_AMI_SECRET: 'ami-secret-4c1d9e',
  CTI_ZENDESK_ACCESS_TOKEN: 'zd-access-77aa01',
  CTI_ZENDESK_REFRESH_TOKEN: 'zd-refresh-3be920',
  CTI_ZENDESK_CLIENT_SECRET: 'zd-client-secret-c0ffee',
  CTI_ZENDESK_API_TOKEN: 'zd-api-token-5150',
  CTI_SHARE_PASSWORD: 'smb-password-d00d42',
} as const;

/** A complete valid profile as an admin writes it: comments, blank lines, flow and block style. */
export function validProfile(options: { active?: boolean } = {}): string {
  return `# Berlin call center
active: ${options.active ?? false}   # switched by \`cti-bridge config activate\`

pbx:
  host: pbx.berlin.example
  port: 5038
  username: bridge
  secret: env:CTI_AMI_SECRET

zendesk:
  url: https://acme.zendesk.com/
  auth:
    type: oauth
    accessToken: env:CTI_ZENDESK_ACCESS_TOKEN
    refreshToken: env:CTI_ZENDESK_REFRESH_TOKEN
    clientId: cti-bridge
    clientSecret: env:CTI_ZENDESK_CLIENT_SECRET

unknownCallers:
  strategy: defaultUser
  defaultUser: { email: unknown-caller@acme.example, name: Unknown caller }

# queue name → Zendesk group
queues:
  support: { group: Support,   record: false }
  sales: { record: true }

lookup:
  defaultCountry: DE

recordings:
  directory: /var/spool/asterisk/monitor/cti-bridge
`;
}

/** A fresh directory under the OS temp dir, removed when the test ends. */
export async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'cti-config-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export async function writeProfile(dir: string, name: string, yaml: string): Promise<string> {
  const file = path.join(dir, `${name}.yaml`);
  await writeFile(file, yaml);
  return file;
}

/** A writable that keeps what was written, for CLI output. */
export function memoryStream(): { stream: Writable; text(): string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

/** Asserts that no secret value of SECRET_ENV (nor `extra`) occurs in `text`. */
export function secretsIn(text: string, extra: string[] = []): string[] {
  return [...Object.values(SECRET_ENV), ...extra].filter((value) => text.includes(value));
}
