import { isIP } from 'node:net';

/** Where the operations listener listens. */
export interface ListenAddress {
  address: string;
  port: number;
}

/** The profile keys' defaults (`operations.address`, `operations.port`): loopback only. */
export const DEFAULT_LISTEN: ListenAddress = { address: '127.0.0.1', port: 9464 };

/**
 * `<address>:<port>` as `cti-bridge run --listen` and `CTI_BRIDGE_LISTEN` take it; an IPv6
 * address in brackets (`[::1]:9464`). Throws an Error saying what is wrong.
 */
export function parseListen(text: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  const address = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!match || address === undefined) {
    throw new Error(
      `"${text}" is not <address>:<port>; write it like 127.0.0.1:9464 (or [::1]:9464 for IPv6)`,
    );
  }
  if (isIP(address) === 0) throw new Error(`"${address}" is not an IP address (like 127.0.0.1)`);
  if (match[1] !== undefined && isIP(address) !== 6) {
    throw new Error(`"${text}": only IPv6 addresses go in brackets`);
  }
  if (port > 65535) throw new Error(`port ${port} is out of range (0–65535)`);
  return { address, port };
}

/**
 * The daemon's own setting: `--listen` (null: given without a value), else `CTI_BRIDGE_LISTEN`
 * (empty counts as unset). Throws an Error naming where the bad value came from.
 */
export function daemonListen(
  flag: string | null | undefined,
  env: string | undefined,
): ListenAddress | undefined {
  if (flag === null) throw new Error('--listen needs a value like 127.0.0.1:9464');
  const text = flag ?? (env || undefined);
  if (text === undefined) return undefined;
  try {
    return parseListen(text);
  } catch (error) {
    throw new Error(`${flag === undefined ? 'CTI_BRIDGE_LISTEN' : '--listen'}: ${(error as Error).message}`);
  }
}

/** The daemon's own setting wins over the active profile's keys, which win over the defaults. */
export function effectiveListen(
  override: ListenAddress | undefined,
  profile: ListenAddress | undefined,
): ListenAddress {
  return override ?? profile ?? DEFAULT_LISTEN;
}

/** The URL a client on this host uses to reach a listener: a wildcard address means loopback. */
export function clientUrl(listen: ListenAddress): string {
  const host = listen.address === '0.0.0.0' ? '127.0.0.1' : listen.address === '::' ? '::1' : listen.address;
  return `http://${isIP(host) === 6 ? `[${host}]` : host}:${listen.port}`;
}

export function listenText(listen: ListenAddress): string {
  return isIP(listen.address) === 6
    ? `[${listen.address}]:${listen.port}`
    : `${listen.address}:${listen.port}`;
}
