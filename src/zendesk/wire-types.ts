/** The parts of Zendesk's JSON this bridge reads. Everything is checked before use (see `read-*`). */

export interface WireUser {
  id: number;
  name: string;
  role: string;
  email?: string | null;
  phone?: string | null;
  identities?: WireIdentity[];
}

export interface WireIdentity {
  id: number;
  user_id: number;
  type: string;
  value: string;
}

export interface WireTicket {
  id: number;
  requester_id: number;
}

export interface WireGroup {
  id: number;
  name: string;
  deleted?: boolean;
}

export interface CursorPage {
  meta?: { has_more?: boolean; after_cursor?: string | null };
}
