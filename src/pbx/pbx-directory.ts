import type { PbxDirectoryPort } from '../directory/ports.ts';
import type { AmiClient } from './ami-client.ts';

/** VoicemailUsersList and QueueStatus, read for the start-up sync. */
export class AmiPbxDirectory implements PbxDirectoryPort {
  readonly #ami: AmiClient;

  constructor(ami: AmiClient) {
    this.#ami = ami;
  }

  async listMailboxes(): Promise<Array<{ extension: string; name: string; email: string | undefined }>> {
    const { items } = await this.#ami.list({ Action: 'VoicemailUsersList' });
    return items
      .filter((item) => item.name === 'VoicemailUserEntry')
      .map((item) => {
        const email = (item.get('Email') ?? '').trim();
        return {
          extension: item.get('VoiceMailbox') ?? '',
          name: item.get('Fullname') ?? '',
          // Asterisk writes the literal `(null)` for a mailbox without an address.
          email: email === '' || email === '(null)' ? undefined : email,
        };
      })
      .filter((box) => box.extension !== '');
  }

  async listQueues(): Promise<Array<{ name: string; members: Array<{ interface: string; name: string }> }>> {
    const { items } = await this.#ami.list({ Action: 'QueueStatus' });
    const queues = new Map<string, Array<{ interface: string; name: string }>>();
    for (const item of items) {
      const queue = item.get('Queue');
      if (!queue) continue;
      if (item.name === 'QueueParams' && !queues.has(queue)) queues.set(queue, []);
      if (item.name === 'QueueMember') {
        const members = queues.get(queue) ?? [];
        const memberInterface =
          item.get('StateInterface') || item.get('Location') || item.get('Interface') || '';
        members.push({
          interface: item.get('Location') || memberInterface,
          name: item.get('Name') ?? memberInterface,
        });
        queues.set(queue, members);
      }
    }
    return [...queues].map(([name, members]) => ({ name, members }));
  }
}
