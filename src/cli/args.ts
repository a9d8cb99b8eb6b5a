/**
 * `--name value` taken out of `args`: the value, undefined when the option is absent, null when
 * it has no value (the end of the line, or another option next).
 */
export function takeOption(args: string[], name: string): string | undefined | null {
  const at = args.indexOf(name);
  if (at === -1) return undefined;
  const value = args[at + 1];
  args.splice(at, 2);
  return value && !value.startsWith('--') ? value : null;
}

/** `--flag` taken out of `args`: whether it was there. */
export function takeFlag(args: string[], flag: string): boolean {
  const at = args.indexOf(flag);
  if (at === -1) return false;
  args.splice(at, 1);
  return true;
}
