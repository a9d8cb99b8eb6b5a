/**
 * The extension in a queue member's interface: `Local/101@agents`, `PJSIP/101`, `SIP/101` → `101`.
 * The agent map is keyed by extension because mailboxes (and their emails) are.
 */
export function memberExtension(memberInterface: string): string | undefined {
  const match = /^[A-Za-z0-9_]+\/([^@/;\s-]+)/.exec(memberInterface.trim());
  return match?.[1];
}
