import path from 'node:path';

/**
 * Where a call's recording lives: `<yyyy>/<mm>/<dd>/<call id>.wav` below the recordings
 * directory, the same relative path on the share below `<subdirectory>/RecordedCalls/`.
 * The call id comes from the PBX (a Linkedid such as `1795306004.26`); it only becomes a file name
 * after it passed this check, so nothing the PBX sends can point outside the directory.
 */

const SAFE_CALL_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export class UnsafeCallIdError extends Error {
  constructor(callId: string) {
    super(
      `call id ${JSON.stringify(callId.slice(0, 80))} cannot name a recording file: only letters, digits, dot, dash and underscore are allowed`,
    );
    this.name = 'UnsafeCallIdError';
  }
}

/**
 * `2026/11/22/1795306004.26.wav` for a call answered on 22 Nov 2026, in the host's time zone:
 * supervisors look for a call by their local day.
 */
export function recordingRelativePath(callId: string, answeredAt: number): string {
  if (!SAFE_CALL_ID.test(callId) || callId.includes('..')) throw new UnsafeCallIdError(callId);
  const d = new Date(answeredAt);
  const yyyy = String(d.getFullYear()).padStart(4, '0');
  const mm = String(d.getMonth() + 1).padStart(2, '0');
  const dd = String(d.getDate()).padStart(2, '0');
  return `${yyyy}/${mm}/${dd}/${callId}.wav`;
}

/** The absolute path of a relative recording path below `root`; throws if it would leave `root`. */
export function insideDirectory(root: string, relative: string): string {
  const absolute = path.resolve(root, relative);
  const rel = path.relative(path.resolve(root), absolute);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new Error(`recording path ${JSON.stringify(relative)} leaves the recordings directory`);
  }
  return absolute;
}

/** `<subdirectory>/RecordedCalls/<relative>`: always a RecordedCalls directory, forward slashes. */
export function sharePath(subdirectory: string, relative: string): string {
  const base = subdirectory
    .split('/')
    .filter((segment) => segment !== '' && segment !== '.')
    .join('/');
  return [base, 'RecordedCalls', relative].filter(Boolean).join('/');
}
