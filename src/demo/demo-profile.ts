/** The embedded profile the demo runs: the lab PBX and the seeded fake Zendesk account. */
export function demoProfileYaml(options: {
  amiPort: number;
  zendeskUrl: string;
  recordingsDir: string;
  stateDir: string;
  shareDir: string;
}): string {
  return `# cti-bridge demo profile (written by \`cti-bridge demo\` into a temporary directory)
active: true
stateDirectory: ${options.stateDir}
pbx:
  host: 127.0.0.1
  port: ${options.amiPort}
  username: bridge
  secret: env:CTI_DEMO_AMI_SECRET
zendesk:
  url: ${options.zendeskUrl}
  allowInsecureHttp: true   # the built-in simulator speaks plain HTTP on loopback
  talkPartnerEdition: true
  auth:
    type: oauth
    accessToken: env:CTI_DEMO_ACCESS_TOKEN
    refreshToken: env:CTI_DEMO_REFRESH_TOKEN
    clientId: cti-bridge
    clientSecret: env:CTI_DEMO_CLIENT_SECRET
unknownCallers:
  strategy: defaultUser
  defaultUser: { email: unknown.caller@example.com, name: Unknown Caller }
queues:
  support: { group: Support }
  sales: { group: Sales, record: true }
wrapUpSeconds: 2
lookup:
  defaultCountry: DE
  answerWaitMs: 1500
recordings:
  directory: ${options.recordingsDir}
  settleSeconds: 1
share:
  # A directory standing in for the OS-mounted share (smb:// targets go through smbclient).
  target: ${options.shareDir}
  subdirectory: Demo
  schedule: "0 3 * * *"   # nightly; the demo asks for a copy at the end (cti-bridge recordings copy-now)
sync:
  intervalMinutes: 0
logging:
  level: info
`;
}

/** Demo-only credentials shared by the simulators and the profile (never real secrets). */
export const DEMO_SECRETS = {
  CTI_DEMO_AMI_SECRET: 'demo-ami-secret',
  CTI_DEMO_ACCESS_TOKEN: 'demo-access-token',
  CTI_DEMO_REFRESH_TOKEN: 'demo-refresh-token',
  CTI_DEMO_CLIENT_SECRET: 'demo-client-secret',
};
