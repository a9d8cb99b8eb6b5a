/**
 * What the fake stores. Records are Zendesk's JSON minus `url` (which depends on the server's
 * address and is added when a record is written out, see serialize.ts).
 */
export type Role = 'end-user' | 'agent' | 'admin';

export interface UserRecord {
  id: number;
  name: string;
  email: string | null;
  /** The primary phone identity's value, as Zendesk shows only one number here. */
  phone: string | null;
  role: Role;
  active: boolean;
  verified: boolean;
  external_id: string | null;
  default_group_id: number | null;
  organization_id: number | null;
  time_zone: string;
  locale: string;
  tags: string[];
  user_fields: Record<string, unknown>;
  shared_phone_number: boolean | null;
  suspended: boolean;
  created_at: string;
  updated_at: string;
}

export interface IdentityRecord {
  id: number;
  user_id: number;
  type: 'email' | 'phone_number';
  value: string;
  verified: boolean;
  primary: boolean;
  undeliverable_count: number;
  deliverable_state: 'deliverable';
  created_at: string;
  updated_at: string;
}

export interface GroupRecord {
  id: number;
  name: string;
  description: string;
  default: boolean;
  deleted: boolean;
  is_public: boolean;
  created_at: string;
  updated_at: string;
}

export interface Via {
  channel: 'api' | 'voice';
  source: { from: Record<string, unknown>; to: Record<string, unknown>; rel: string | null };
}

export interface TicketRecord {
  id: number;
  external_id: string | null;
  via: Via;
  subject: string | null;
  raw_subject: string | null;
  description: string;
  type: string | null;
  priority: string | null;
  status: 'new' | 'open' | 'pending' | 'hold' | 'solved' | 'closed';
  requester_id: number;
  submitter_id: number;
  assignee_id: number | null;
  group_id: number | null;
  organization_id: number | null;
  tags: string[];
  custom_fields: Array<{ id: number; value: unknown }>;
  is_public: boolean;
  created_at: string;
  updated_at: string;
}

export interface CommentRecord {
  id: number;
  ticket_id: number;
  type: 'Comment' | 'VoiceComment';
  author_id: number;
  body: string;
  public: boolean;
  attachment_ids: number[];
  via: Via;
  /** The call card of a voice comment (from, to, recording_url, …). */
  data: Record<string, unknown> | null;
  created_at: string;
}

export interface AttachmentRecord {
  id: number;
  token: string;
  file_name: string;
  content_type: string;
  size: number;
  /** The uploaded bytes, kept so tests can compare what arrived with what was sent. */
  data: Buffer;
  created_at: string;
}

export interface UploadRecord {
  token: string;
  attachment_ids: number[];
  createdAtMs: number;
  expiresAtMs: number;
  /** Set once a ticket comment took the upload: a token attaches only once. */
  attachedToCommentId: number | null;
}

/** What opened on an agent's screen, and through which endpoint. */
export interface Pop {
  at: number;
  agentId: number;
  kind: 'ticket' | 'user';
  id: number;
  via: 'display' | 'voice_ticket';
}
