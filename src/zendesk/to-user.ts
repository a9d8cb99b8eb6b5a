import type { HelpdeskUser } from '../calls/ports.ts';
import type { WireUser } from './wire-types.ts';

export function toUser(wire: WireUser): HelpdeskUser {
  const role = wire.role === 'agent' || wire.role === 'admin' ? wire.role : 'end-user';
  return {
    id: wire.id,
    name: String(wire.name ?? ''),
    role,
    email: wire.email ?? null,
    phone: wire.phone ?? null,
  };
}
