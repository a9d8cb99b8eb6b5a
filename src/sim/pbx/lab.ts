/**
 * The lab the shared AMI transcripts were recorded on (../shared/fixtures/asterisk-etc):
 * voicemail.conf users, queues.conf queues and members, the manager.conf user `bridge`.
 */

export interface LabMailbox {
  context: string;
  mailbox: string;
  fullName: string;
  /** Absent: Asterisk reports the literal `(null)`. */
  email?: string;
}

export interface LabMember {
  /** Dial string, e.g. `Local/101@agents`. */
  interface: string;
  name: string;
  penalty: number;
}

export interface LabQueue {
  name: string;
  strategy: 'linear' | 'rrmemory' | 'ringall' | 'leastrecent' | 'fewestcalls' | 'random';
  /** Seconds a member rings (`timeout`). */
  timeoutSec: number;
  /** Queue-level `wrapuptime`; QueueMember reports the member-level value, 0. */
  wrapupSec: number;
  musicClass: string;
  members: LabMember[];
}

export interface Lab {
  /** manager.conf users and secrets. */
  managerUsers: Record<string, string>;
  serverEmail: string;
  maxMessages: number;
  maxMessageSecs: number;
  mailboxes: LabMailbox[];
  queues: LabQueue[];
}

export function defaultLab(): Lab {
  const queue = (name: string, strategy: LabQueue['strategy'], members: LabMember[]): LabQueue => ({
    name,
    strategy,
    timeoutSec: 6,
    wrapupSec: 5,
    musicClass: 'default',
    members,
  });
  const member = (ext: string, name: string): LabMember => ({
    interface: `Local/${ext}@agents`,
    name,
    penalty: 0,
  });
  return {
    managerUsers: { bridge: 'bridge-secret' },
    serverEmail: 'pbx@example.com',
    maxMessages: 100,
    maxMessageSecs: 180,
    mailboxes: [
      { context: 'default', mailbox: '101', fullName: 'Anna Agent', email: 'anna.agent@example.com' },
      { context: 'default', mailbox: '102', fullName: 'Ben Berger', email: 'ben.berger@example.com' },
      { context: 'default', mailbox: '201', fullName: 'Carla Sales', email: 'carla.sales@example.com' },
      { context: 'default', mailbox: '999', fullName: 'Front Desk' },
    ],
    queues: [
      queue('support', 'linear', [member('101', 'Anna Agent'), member('102', 'Ben Berger')]),
      queue('sales', 'rrmemory', [member('201', 'Carla Sales')]),
    ],
  };
}

/** `Local/101@agents` → `{ exten: '101', context: 'agents' }`. */
export function parseLocalInterface(iface: string): { exten: string; context: string } {
  const m = /^Local\/([^@]+)@(.+)$/.exec(iface);
  if (!m) throw new Error(`not a Local/<exten>@<context> interface: ${iface}`);
  return { exten: m[1]!, context: m[2]! };
}
