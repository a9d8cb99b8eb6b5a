import { existsSync, statSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfigDir, type ProfileFile } from '../config/config-dir.ts';
import type { Profile } from '../config/schema.ts';
import { writeAdminRequest } from '../daemon/admin-requests.ts';
import {
  type CopyRunRecord,
  RecordingJournal as Journal,
  pendingCopy,
  RECORDING_STATES,
  type RecordingJournal,
  type RecordingState,
} from '../recordings/recording-journal.ts';

export interface RecordingsCommandIo {
  stdout: Writable;
  stderr: Writable;
  configDir: string;
  env: NodeJS.ProcessEnv;
  /** How long copy-now waits for the daemon to start the run (default 15 s). */
  pickupTimeoutMs?: number;
}

export const RECORDINGS_USAGE = `usage: cti-bridge recordings <command> [profile]

  status [name] [--json]       recordings per state, the last copy run, recordings with problems
  copy-now [name] [--no-wait] [--wait SECONDS]
                               ask the running daemon to copy to the share now; waits for the result

Without a name, the active profile. Run as the service user (sudo -u cti-bridge …): the journal
lives in the profile's stateDirectory.`;

const MEANING: Record<RecordingState, string> = {
  recording: 'being recorded, or waiting for the file to be complete',
  recorded: 'complete; not yet on the ticket nor on the share',
  attached: 'on the ticket; not yet on the share',
  copied: 'verified on the share; kept here until its retention ends',
  expired: 'deleted here after retention; the share keeps the copy',
  failed: 'unusable (see below); the file, if any, is kept',
};

type Print = (text: string) => void;

/** `cti-bridge recordings …`: 0 ok, 1 a problem (or a copy that did not fully succeed), 2 wrong usage. */
export async function runRecordingsCommand(args: string[], io: RecordingsCommandIo): Promise<number> {
  const out: Print = (text) => io.stdout.write(`${text}\n`);
  const err: Print = (text) => io.stderr.write(`${text}\n`);
  const [command, ...rest] = args;
  const flags = rest.filter((a) => a.startsWith('--'));
  const names = rest.filter((a, i) => !a.startsWith('--') && rest[i - 1] !== '--wait');
  if (names.length > 1) return usage(err, 'give at most one profile name');
  switch (command) {
    case 'status':
      return status(io, names[0], flags.includes('--json'), out, err);
    case 'copy-now': {
      const waitAt = rest.indexOf('--wait');
      const waitSeconds = waitAt === -1 ? 600 : Number(rest[waitAt + 1]);
      if (!Number.isInteger(waitSeconds) || waitSeconds < 0)
        return usage(err, '--wait needs a number of seconds');
      return copyNow(io, names[0], flags.includes('--no-wait') ? 0 : waitSeconds * 1000, out, err);
    }
    case undefined:
    case 'help':
    case '--help':
      out(RECORDINGS_USAGE);
      return command === undefined ? 2 : 0;
    default:
      return usage(err, `unknown recordings command "${command}"`);
  }
}

function usage(err: Print, problem: string): number {
  err(`${problem}\n\n${RECORDINGS_USAGE}`);
  return 2;
}

async function status(
  io: RecordingsCommandIo,
  name: string | undefined,
  json: boolean,
  out: Print,
  err: Print,
): Promise<number> {
  const found = await pickProfile(io, name, err);
  if (!found) return 1;
  const journal = openJournal(found.settings, found.profile.name, err);
  if (journal === 'none') {
    out(`profile ${found.profile.name}: no recordings yet (no journal at ${journalFile(found)})`);
    return 0;
  }
  if (!journal) return 1;
  try {
    const counts = journal.counts();
    const last = journal.lastRun();
    const troubles = journal.troubles(10);
    if (json) {
      out(
        JSON.stringify({
          profile: found.profile.name,
          counts,
          pendingCopy: pendingCopy(counts),
          lastRun: last ?? null,
          troubles,
        }),
      );
      return 0;
    }
    out(`recordings of profile ${found.profile.name} (journal ${journal.file})`);
    for (const state of RECORDING_STATES)
      out(`  ${state.padEnd(9)} ${String(counts[state]).padStart(6)}  ${MEANING[state]}`);
    out(
      `  pending copy to the share: ${pendingCopy(counts)}${found.settings.share ? '' : ' (no share configured: nothing is copied or deleted)'}`,
    );
    out(`last copy run: ${last ? describeRun(last) : 'none yet'}`);
    if (troubles.length > 0) {
      out('problems (newest first):');
      for (const t of troubles) {
        const what = t.problem
          ? `recording: ${t.problem}`
          : `attach (${t.attachTries} tries): ${t.attachError}`;
        out(`  ${t.callId}  ${t.file}  ${what}`);
      }
    }
    return 0;
  } finally {
    journal.close();
  }
}

async function copyNow(
  io: RecordingsCommandIo,
  name: string | undefined,
  waitMs: number,
  out: Print,
  err: Print,
): Promise<number> {
  const found = await pickProfile(io, name, err);
  if (!found) return 1;
  if (!found.settings.share) {
    err(`profile ${found.profile.name} has no share section: there is nothing to copy to`);
    return 1;
  }
  if (!found.profile.active) {
    err(`profile ${found.profile.name} is not active: the daemon only copies for the active profile`);
    return 1;
  }
  const requestedAt = Date.now();
  const file = await writeAdminRequest(io.configDir, 'copy');
  out(`copy requested (${file})`);
  if (waitMs === 0) {
    out('the running daemon starts it within seconds; see `cti-bridge recordings status`');
    return 0;
  }
  const journal = openJournal(found.settings, found.profile.name, err);
  if (journal === 'none' || !journal) {
    err('cannot follow the run: the journal is not there yet; see the daemon log (share)');
    return 1;
  }
  try {
    return await followRun(journal, requestedAt, waitMs, io.pickupTimeoutMs ?? 15_000, out, err);
  } finally {
    journal.close();
  }
}

/** Waits for the daemon's copy-now run that began after the request, and reports how it ended. */
async function followRun(
  journal: RecordingJournal,
  requestedAt: number,
  waitMs: number,
  pickupMs: number,
  out: Print,
  err: Print,
): Promise<number> {
  const started = Date.now();
  let announced = false;
  // Bounded by the wait the admin chose.
  for (let step = 0; step <= Math.ceil(waitMs / 250); step++) {
    const run = journal.runsSince(requestedAt - 1000).find((r) => r.origin === 'copy-now');
    if (run && !announced) {
      out(`run #${run.id} started`);
      announced = true;
    }
    if (run && run.outcome !== 'running') {
      out(`run #${run.id}: ${describeRun(run)}`);
      return run.outcome === 'ok' ? 0 : 1;
    }
    const waited = Date.now() - started;
    if (!run && waited > pickupMs) {
      err(
        `the daemon did not start the copy within ${Math.round(pickupMs / 1000)} s: is the service running with this profile active? (the request stays and is picked up when it runs)`,
      );
      return 1;
    }
    if (waited > waitMs) {
      out('still running; follow it with `cti-bridge recordings status` or in the daemon log (share)');
      return 0;
    }
    await sleep(250);
  }
  return 1;
}

async function pickProfile(
  io: RecordingsCommandIo,
  name: string | undefined,
  err: Print,
): Promise<{ profile: ProfileFile; settings: Profile } | undefined> {
  // Secrets are not needed to read the journal: only the schema has to accept the file.
  const state = await loadConfigDir(io.configDir, { env: io.env });
  let profile: ProfileFile | undefined;
  if (name !== undefined) {
    profile = state.profiles.find((p) => p.name === name);
    if (!profile) {
      err(`${state.dir}: no profile named "${name}"`);
      return undefined;
    }
  } else if (state.active.kind === 'one') {
    profile = state.active.profile;
  } else {
    err(
      state.active.kind === 'none'
        ? 'no profile is active; name one: cti-bridge recordings status <name>'
        : 'more than one profile is active; name one: cti-bridge recordings status <name>',
    );
    return undefined;
  }
  if (!profile.settings) {
    for (const problem of profile.errors) err(problem);
    return undefined;
  }
  return { profile, settings: profile.settings };
}

function journalFile(found: { profile: ProfileFile; settings: Profile }): string {
  return Journal.fileFor(found.settings.stateDirectory, found.profile.name);
}

function openJournal(settings: Profile, name: string, err: Print): RecordingJournal | 'none' | undefined {
  const file = Journal.fileFor(settings.stateDirectory, name);
  if (!existsSync(file)) return 'none';
  actAsOwnerOf(file);
  try {
    return Journal.open(file);
  } catch (error) {
    err(
      `${(error as Error).message}; run this as the service user (sudo -u cti-bridge cti-bridge recordings …)`,
    );
    return undefined;
  }
}

/**
 * Run as root, SQLite would create its -wal/-shm files owned by root, and the daemon (its own user)
 * could no longer open the journal. So root takes the journal owner's identity first.
 */
function actAsOwnerOf(file: string): void {
  if (process.getuid?.() !== 0) return;
  const { uid, gid } = statSync(file);
  if (uid === 0) return;
  process.setgid?.(gid);
  process.setuid?.(uid);
}

function describeRun(run: CopyRunRecord): string {
  const when = new Date(run.startedAt).toISOString();
  const counts = `${run.copied} copied, ${run.skipped} already there, ${run.failed} failed, ${run.expired} deleted after retention`;
  const tail = run.message ? ` (${run.message})` : '';
  return `${run.origin} at ${when}: ${run.outcome}; ${counts}${tail}`;
}
