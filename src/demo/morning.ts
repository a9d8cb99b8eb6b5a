import type { FakePbx } from '../sim/pbx/fake-pbx.ts';
import type { FakeZendesk } from '../sim/zendesk/index.ts';

/** Waits (bounded) until `check` holds; the demo must end even if something went wrong. */
async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A short scripted morning in the call center: a known caller; an unknown caller whom the agent
 * re-assigns during the call, and that caller's second call, now recognised; a withheld number;
 * an abandoned call; a burst of calls.
 */
export async function playMorning(
  pbx: FakePbx,
  zd: FakeZendesk,
  say: (line: string) => void,
  agentToken: string,
) {
  const step = async (call: { done: Promise<unknown> }) => {
    await call.done;
    await pause(250); // let the bridge finish its part before the next scene starts
  };
  const ticketFor = (callId: string) =>
    zd.state.tickets().find((t) => t.external_id === `cti-bridge:${callId}`);

  say('— a regular customer calls support');
  const known = pbx.placeCall({
    queue: 'support',
    callerNum: '+4930123456',
    callerName: 'Erika Mustermann',
    talkMs: 800,
  });
  await step(known);

  say('— a caller Zendesk does not know yet; Anna finds the customer during the call');
  const unknown = pbx.placeCall({ queue: 'support', callerNum: '+4930987654', talkMs: 1_500 });
  if (await until(() => ticketFor(unknown.linkedid) !== undefined, 5_000)) {
    const hans = zd.state.users().find((u) => u.name === 'Hans Lokal');
    const ticket = ticketFor(unknown.linkedid)!;
    await fetch(`${zd.url}/api/v2/tickets/${ticket.id}.json`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${agentToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ticket: { requester_id: hans?.id } }),
    });
    say(`  (Anna sets ticket #${ticket.id}'s requester to Hans Lokal in Zendesk)`);
  }
  await unknown.done;
  await pause(2_600); // the profile's wrap-up time, then the backfill

  say('— Hans Lokal calls again from the same number');
  await step(pbx.placeCall({ queue: 'support', callerNum: '+4930987654', talkMs: 500 }));

  say('— a caller who withholds the number');
  await step(pbx.placeCall({ queue: 'support', callerNum: 'anonymous', hangup: 'agent', talkMs: 500 }));

  say('— a caller gives up before anyone answers');
  await step(
    pbx.placeCall({
      queue: 'support',
      callerNum: '+4915112345678',
      script: [{ ring: '101', ms: 5_000, outcome: 'noanswer' }],
      abandonAfterMs: 700,
    }),
  );

  say('— a burst: five calls at once across both queues');
  const burst = [
    pbx.placeCall({ queue: 'sales', callerNum: '+12125550100', talkMs: 400 }),
    pbx.placeCall({
      queue: 'support',
      callerNum: '+4922133344',
      script: [{ ring: '101', ms: 60, outcome: 'answer' }],
      talkMs: 400,
    }),
    pbx.placeCall({
      queue: 'support',
      callerNum: '+491701234567',
      script: [{ ring: '102', ms: 90, outcome: 'answer' }],
      talkMs: 400,
    }),
    pbx.placeCall({ queue: 'sales', callerNum: '+4930123456', talkMs: 400 }),
    pbx.placeCall({
      queue: 'support',
      callerNum: '+49405550000',
      script: [
        { ring: '101', ms: 80, outcome: 'noanswer' },
        { ring: '102', ms: 60, outcome: 'answer' },
      ],
      talkMs: 400,
    }),
  ];
  await Promise.all(burst.map((c) => c.done));
  // Wrap-ups ending together wait for each other and share one request: wait for their facts
  // (and the recordings riding on them), not for a fixed time.
  const wrappedUp = () =>
    zd.state
      .tickets()
      .filter((t) => t.external_id?.startsWith('cti-bridge:'))
      .every((t) => zd.state.comments(t.id).some((c) => c.body.startsWith('Call facts')));
  await until(wrappedUp, 15_000);
}
