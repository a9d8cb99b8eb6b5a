import path from 'node:path';
import type { Logger } from '../log/logger.ts';
import type { Secret } from '../util/secret.ts';
import { LocalDirTransport } from './local-dir-transport.ts';
import type { ShareTransport } from './share-transport.ts';
import { SmbclientTransport } from './smbclient-transport.ts';

export interface ShareTarget {
  /** `smb://host[:port]/share`, or an absolute directory where the OS mounted the share. */
  target: string;
  domain?: string;
  username?: string;
  password?: Secret;
}

/**
 * The transport for a configured share: smbclient for an smb:// URL, the directory itself for an
 * absolute path. The configuration schema has checked the form already; what it cannot have
 * checked (a caller passing something else) throws here, naming the target but no credentials.
 */
export function createShareTransport(share: ShareTarget, logger: Logger): ShareTransport {
  if (/^smb:\/\//i.test(share.target)) {
    const url = new URL(share.target);
    const name = decodeURIComponent(url.pathname.replace(/^\/+|\/+$/g, ''));
    if (!url.hostname || !name || name.includes('/')) {
      throw new Error(`share target ${share.target} must be smb://host[:port]/share`);
    }
    if (!share.username || !share.password) {
      throw new Error(`share target ${share.target} needs share.username and share.password`);
    }
    return new SmbclientTransport({
      host: url.hostname,
      port: url.port ? Number(url.port) : 445,
      share: name,
      ...(share.domain ? { domain: share.domain } : {}),
      username: share.username,
      password: share.password,
      logger,
    });
  }
  if (path.isAbsolute(share.target)) return new LocalDirTransport({ root: share.target, logger });
  throw new Error(`share target ${share.target} must be smb://host[:port]/share or an absolute directory`);
}
