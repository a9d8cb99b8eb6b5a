/** Ticket subject, first comment and call-facts comment, from the profile's templates. */

export interface TicketTemplates {
  subject: string;
  comment: string;
  tags: string[];
}

export interface TicketVars {
  callerNumber: string;
  callerName: string;
  queue: string;
  agent: string;
  time: string;
}

/** `{name}` placeholders; unknown ones stay as written so a typo is visible on the ticket. */
export function renderTemplate(template: string, vars: TicketVars): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.hasOwn(vars, name) ? vars[name as keyof TicketVars] : whole,
  );
}

export function callFactsComment(facts: {
  queue: string;
  agent: string;
  holdSec: number;
  talkSec: number;
  endedBy: string;
  callerNumber: string;
}): string {
  return [
    'Call facts (cti-bridge)',
    `Caller: ${facts.callerNumber}`,
    `Queue: ${facts.queue}`,
    `Agent: ${facts.agent}`,
    `Waited: ${duration(facts.holdSec)}`,
    `Talked: ${duration(facts.talkSec)}`,
    `Ended by: ${facts.endedBy}`,
  ].join('\n');
}

export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return s % 60 === 0 ? `${m} min` : `${m} min ${s % 60} s`;
}
