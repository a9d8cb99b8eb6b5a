import { type SimChannel, UNKNOWN } from '../channels.ts';

/**
 * The channel variables and dialplan functions Getvar/Status can read here. Anything else reads
 * as an empty value, as an unset variable does in Asterisk.
 */

const valid = (v: string) => (v === UNKNOWN ? '' : v);

/** ast_named_caller_presentation for the two presentations the lab produces. */
const PRESENTATION = { allowed: 'allowed_not_screened', prohib: 'prohib' } as const;

export function readVariable(ch: SimChannel, expression: string): string {
  const m = /^([A-Z_]+)\(([^)]*)\)$/i.exec(expression.trim());
  if (!m) {
    if (expression === 'UNIQUEID') return ch.uniqueid;
    return ch.vars.get(expression) ?? '';
  }
  const fn = m[1]!.toUpperCase();
  const arg = m[2]!.trim().toLowerCase();
  if (fn === 'CALLERID') {
    if (arg === 'num' || arg === 'number') return valid(ch.callerNum);
    if (arg === 'name') return valid(ch.callerName);
    if (arg === 'all') return `"${valid(ch.callerName)}" <${valid(ch.callerNum)}>`;
    if (arg === 'num-pres' || arg === 'name-pres' || arg === 'pres') return PRESENTATION[ch.presentation];
  }
  if (fn === 'CONNECTEDLINE') {
    if (arg === 'num' || arg === 'number') return valid(ch.connectedNum);
    if (arg === 'name') return valid(ch.connectedName);
  }
  if (fn === 'CHANNEL') {
    if (arg === 'name') return ch.name;
    if (arg === 'uniqueid') return ch.uniqueid;
    if (arg === 'linkedid') return ch.linkedid;
    if (arg === 'state') return String(ch.state);
  }
  return '';
}
