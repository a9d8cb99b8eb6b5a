/**
 * The secret values every test uses. The log-capture hook fails a test file when any of these
 * reaches a captured log line or a captured child-process output: "no secret in a log" is
 * checked across the whole suite, not by one test.
 */
export const TEST_SECRETS = {
  amiSecret: 'ami-T3st-Secret-7f3a',
  zendeskApiToken: 'zd-T3st-ApiToken-91c2e',
  zendeskAccessToken: 'zd-T3st-Access-5d0b8',
  zendeskRefreshToken: 'zd-T3st-Refresh-e44a1',
  zendeskClientSecret: 'zd-T3st-ClientSecret-07f9',
  sharePassword: 'smb-T3st-Password-c3d2',
} as const;

/** Environment in which every `env:` reference used by test profiles resolves. */
export const TEST_SECRET_ENV: Record<string, string> = {
  CTI_AMI_SECRET: TEST_SECRETS.amiSecret,
  CTI_ZENDESK_API_TOKEN: TEST_SECRETS.zendeskApiToken,
  CTI_ZENDESK_ACCESS_TOKEN: TEST_SECRETS.zendeskAccessToken,
  CTI_ZENDESK_REFRESH_TOKEN: TEST_SECRETS.zendeskRefreshToken,
  CTI_ZENDESK_CLIENT_SECRET: TEST_SECRETS.zendeskClientSecret,
  CTI_SHARE_PASSWORD: TEST_SECRETS.sharePassword,
};

/** Names of the test secrets found in `text` (never the values: the report must not leak them). */
export function leakedSecrets(text: string): string[] {
  return Object.entries(TEST_SECRETS)
    .filter(([, value]) => text.includes(value))
    .map(([name]) => name);
}

/** Credentials the fake Zendesk accepts: the same values the test profiles reference. */
export const FAKE_ZENDESK_CREDENTIALS = {
  apiTokens: [{ email: 'admin@example.com', token: TEST_SECRETS.zendeskApiToken }],
  oauth: {
    clientId: 'cti-bridge',
    clientSecret: TEST_SECRETS.zendeskClientSecret,
    accessTokens: [TEST_SECRETS.zendeskAccessToken],
    refreshTokens: [TEST_SECRETS.zendeskRefreshToken],
  },
  oauthUserEmail: 'admin@example.com',
};
