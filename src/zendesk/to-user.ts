import type { HelpdeskUser } from '../calls/ports.ts';
import type { WireUser } from './wire-types.ts';

/** Fields are taken only with the type they should have: a name `{"toString":1}` threw, an email `5` crashed the sync. */
export function toUser(wire: WireUser): HelpdeskUser {
  const role = wire.role === 'agent' || wire.role === 'admin' ? wire.role : 'end-user';
  return {
    id: wire.id,
    name: typeof wire.name === 'string' || typeof wire.name === 'number' ? String(wire.name) : '',
    role,
    email: typeof wire.email === 'string' ? wire.email : null,
    phone: typeof wire.phone === 'string' ? wire.phone : null,
  };
}
