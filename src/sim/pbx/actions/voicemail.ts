import type { AmiPair } from '../../../pbx/ami-codec.ts';
import type { LabMailbox } from '../lab.ts';
import type { PbxState } from '../pbx-state.ts';
import { listAck, listComplete } from '../responses.ts';
import type { ActionContext } from './types.ts';

/** VoicemailUsersList: one VoicemailUserEntry per mailbox, ActionID on the second line. */

function entry(state: PbxState, mb: LabMailbox, actionId: string | undefined): AmiPair[] {
  const out: AmiPair[] = [['Event', 'VoicemailUserEntry']];
  if (actionId) out.push(['ActionID', actionId]);
  const lab = state.lab;
  out.push(
    ['VMContext', mb.context],
    ['VoiceMailbox', mb.mailbox],
    ['Fullname', mb.fullName],
    ['Email', mb.email ?? '(null)'],
    ['Pager', ''],
    ['ServerEmail', lab.serverEmail],
    ['FromString', ''],
    ['MailCommand', '/usr/sbin/sendmail -t'],
    ['Language', ''],
    ['TimeZone', ''],
    ['Callback', ''],
    ['Dialout', ''],
    ['UniqueID', ''],
    ['ExitContext', ''],
    ['SayDurationMinimum', '2'],
    ['SayEnvelope', 'Yes'],
    ['SayCID', 'No'],
    ['AttachMessage', 'No'],
    ['AttachmentFormat', ''],
    ['DeleteMessage', 'No'],
    ['VolumeGain', '0.00'],
    ['CanReview', 'No'],
    ['CanMarkUrgent', 'Yes'],
    ['CallOperator', 'No'],
    ['MaxMessageCount', String(lab.maxMessages)],
    ['MaxMessageLength', String(lab.maxMessageSecs)],
    ['NewMessageCount', '0'],
    ['OldMessageCount', '0'],
  );
  return out;
}

export function voicemailUsersList({ session, state, actionId }: ActionContext): void {
  session.reply(listAck(actionId, 'Voicemail user list will follow'));
  for (const mb of state.lab.mailboxes) session.reply(entry(state, mb, actionId));
  session.reply(listComplete('VoicemailUserEntryComplete', actionId, state.lab.mailboxes.length));
}
