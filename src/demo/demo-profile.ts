/** The embedded profile the demo runs: the lab PBX and the seeded fake Zendesk account. */
export function demoProfileYaml(options: {
  amiPort: number;
  zendeskUrl: string;
  recordingsDir: string;
}): string {
  return `# cti-bridge demo profile (written by \`cti-bridge demo\` into a temporary directory)
active: true
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
  sales: { group: Sales }
wrapUpSeconds: 2
lookup:
  defaultCountry: DE
  answerWaitMs: 1500
recordings:
  directory: ${options.recordingsDir}
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
