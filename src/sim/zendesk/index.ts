/** The fake Zendesk: an in-process HTTP server for tests, benchmarks and the demo. */
export type { ApiTokenCredential, CredentialsConfig, OAuthClientConfig } from './auth.ts';
export { DEFAULT_CREDENTIALS } from './auth.ts';
export { type Clock, ManualClock, systemClock } from './clock.ts';
export { type FakeZendesk, type FakeZendeskOptions, startFakeZendesk } from './fake-zendesk.ts';
export type { FaultController, FaultKind, FaultMode, FaultSpec, OutageWindow } from './faults.ts';
export type {
  AttachmentRecord,
  CommentRecord,
  GroupRecord,
  IdentityRecord,
  Pop,
  Role,
  TicketRecord,
  UploadRecord,
  UserRecord,
} from './records.ts';
export type { Outcome, RecordedRequest } from './request-log.ts';
export { defaultSeed, type SeedData, type SeedGroup, type SeedUser } from './seed.ts';
export type { ZendeskStateView } from './state.ts';
