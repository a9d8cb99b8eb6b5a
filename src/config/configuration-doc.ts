import { renderReferenceTables } from './reference-doc.ts';

/** The generated parts of docs/configuration.md and README.md; scripts/gen-config-reference.ts writes them. */

export const README_START = '<!-- config-reference:start -->';
export const README_END = '<!-- config-reference:end -->';
const GENERATED =
  '<!-- Generated from src/config/schema.ts by `node scripts/gen-config-reference.ts`; do not edit by hand. -->';

const INTRO = `# Configuration

${GENERATED}

## Profiles

The configuration directory (\`config/\`, or \`--config-dir DIR\`, or \`$CTI_BRIDGE_CONFIG_DIR\`) holds
one YAML file per profile: \`config/<name>.yaml\`, and \`<name>\` is the profile's name. Only
\`*.yaml\` files directly in the directory count; dotfiles and temporary files are skipped, and a
\`.yml\` file is ignored with a warning. Start from the commented sample, \`config/example.yaml\`.

Each file is checked against the schema below as a whole, and every problem is reported at once,
one line each:

\`\`\`text
config/berlin.yaml: pbx.port: must be at most 65535 (got 70000)
config/berlin.yaml: pbx.secrte: unknown key; did you mean "secret"? (got a literal value)
config/berlin.yaml: zendesk.url: required: url (https://acme.zendesk.com) or subdomain (acme) (got nothing)
\`\`\`

Unknown keys are errors, so a misspelt key never passes silently. Missing optional keys take the
defaults listed below.

## Activation

At most one profile is active (\`active: true\`). Switch with the CLI rather than by hand:

\`\`\`sh
cti-bridge config list                 # name, active, valid
cti-bridge config validate [name]      # every problem of one profile or all, and the one-active rule
cti-bridge config activate <name>      # deactivates every other profile first, then activates <name>
cti-bridge config deactivate <name>    # no profile active: the daemon runs idle
\`\`\`

\`activate\` refuses an unknown or invalid profile. It changes only the \`active:\` value, keeping
comments and layout, and writes each file atomically (temporary file, fsync, rename), so a daemon
watching the directory never sees a half-written file or two active profiles. The flag lives in
the file, so activation persists across restarts.

- Two or more active profiles: the daemon refuses to start and names the files.
- None active: the daemon runs idle, says so, and waits for an activation.
- The active profile is invalid: the daemon refuses to start and lists the problems.

## Secrets

Secrets are never written into a profile. A secret field (marked _secret reference_ below) holds
a reference:

- \`env:NAME\`: the environment variable \`NAME\` of the daemon; it must be set and not empty.
  Under systemd, put it in the unit's environment file.
- \`file:/absolute/path\`: a file holding only the secret (a trailing newline is dropped). The
  bridge warns when group or others may read it: \`chmod 600\` it.

Anything else in a secret field is an error, and the value is never repeated in the message.
Resolved secrets are redacted from every log line. \`cti-bridge config validate\` resolves \`env:\`
references from its own environment, so run it with the daemon's environment.

Zendesk sign-in: use OAuth (\`type: oauth\`). Zendesk switched off password access for the API in
January 2026, so email and password are refused. API tokens (\`type: apiToken\`) still work but
are retired: none can be created from 27 October 2026 and all are deactivated on 30 April 2027;
the bridge warns when a profile uses one. Creating the OAuth client and tokens, and the token file
the bridge keeps the rotated tokens in: [zendesk-auth.md](zendesk-auth.md).

## Reference

`;

export function renderConfigurationDoc(): string {
  return `${INTRO}${renderReferenceTables()}`;
}

export function renderReadmeReference(): string {
  return `${GENERATED}\n\nEvery key of a profile; the same tables, with an introduction to profiles, activation and\nsecret references, are in [docs/configuration.md](docs/configuration.md).\n\n${renderReferenceTables()}`;
}

/** README.md with only the text between the reference markers replaced; everything else untouched. */
export function withReadmeReference(readme: string, reference: string): string {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start === -1 || end === -1 || end < start) {
    throw new Error(`README.md has no ${README_START} … ${README_END} region to fill`);
  }
  return `${readme.slice(0, start + README_START.length)}\n${reference}\n${readme.slice(end)}`;
}

/** Whether README.md holds exactly the current reference between its markers. */
export function readmeReferenceIsCurrent(readme: string): boolean {
  return readme.includes(`${README_START}\n${renderReadmeReference()}\n${README_END}`);
}
