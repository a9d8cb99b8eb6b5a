import type { HelpdeskPort, HelpdeskUser } from '../../src/calls/ports.ts';

/**
 * A HelpdeskPort for caller lookups: only the search answers (and is recorded); every other
 * method rejects, so a lookup that touches more of the port fails its test.
 */
export function searchOnly(search: (e164: string) => Promise<HelpdeskUser[]>): {
  helpdesk: HelpdeskPort;
  searches: string[];
} {
  const searches: string[] = [];
  const unused = () => Promise.reject(new Error('not part of a lookup'));
  const helpdesk: HelpdeskPort = {
    findUsersByPhone: (e164) => {
      searches.push(e164);
      return search(e164);
    },
    openCallTicket: unused,
    createEndUser: unused,
    addPrivateComment: unused,
    addPrivateComments: unused,
    ticketsAfterCall: unused,
    getUser: unused,
    addPhoneIdentity: unused,
    uploadFile: unused,
    findCallTicket: unused,
  };
  return { helpdesk, searches };
}
