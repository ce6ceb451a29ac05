/**
 * Silences as Alertmanager 0.25 keeps them: matchers, start/end, author and comment; state pending /
 * active / expired by the clock; update in place only when allowed, otherwise expire and re-create;
 * expired silences retained for 120h; persisted as a snapshot file (written atomically on each change).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { makeMatcher, matchesAll, type AmMatcher } from './matchers.js';

export interface SilenceMatcher {
  name: string;
  value: string;
  isRegex: boolean;
  isEqual: boolean;
}

export interface Silence {
  id: string;
  matchers: SilenceMatcher[];
  startsAt: number;
  endsAt: number;
  updatedAt: number;
  createdBy: string;
  comment: string;
}

export type SilenceState = 'active' | 'pending' | 'expired';

export class SilenceError extends Error {
  constructor(
    message: string,
    readonly notFound = false,
  ) {
    super(message);
  }
}

export const SILENCE_RETENTION_MS = 120 * 3600_000;

export function silenceState(s: Silence, now: number): SilenceState {
  if (now < s.startsAt) return 'pending';
  if (now >= s.endsAt) return 'expired';
  return 'active';
}

export function compileSilenceMatchers(ms: readonly SilenceMatcher[]): AmMatcher[] {
  return ms.map((m) => makeMatcher(m.isRegex ? (m.isEqual ? '=~' : '!~') : m.isEqual ? '=' : '!=', m.name, m.value));
}

function validate(s: Silence): void {
  if (s.matchers.length === 0) throw new SilenceError('at least one matcher required');
  let compiled: AmMatcher[];
  for (const m of s.matchers) if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(m.name)) throw new SilenceError(`invalid label name "${m.name}"`);
  try {
    compiled = compileSilenceMatchers(s.matchers);
  } catch (e) {
    throw new SilenceError(`invalid matcher: ${(e as Error).message}`);
  }
  if (compiled.every((m) => m.matches(''))) throw new SilenceError('at least one matcher must not match the empty string');
  if (s.startsAt === 0) throw new SilenceError('invalid zero start timestamp');
  if (s.endsAt === 0) throw new SilenceError('invalid zero end timestamp');
  if (s.endsAt < s.startsAt) throw new SilenceError('end time must not be before start time');
}

const sameMatchers = (a: SilenceMatcher[], b: SilenceMatcher[]) => JSON.stringify(a) === JSON.stringify(b);

export class Silences {
  private readonly byId = new Map<string, { s: Silence; compiled: AmMatcher[] }>();
  /** Set when the snapshot on disk could not be read at start-up (the owner logs it). */
  loadError: string | undefined;

  constructor(
    private readonly file: string | undefined,
    private readonly now: () => number,
  ) {
    if (file) this.load(file);
  }

  private load(file: string): void {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return;
    }
    try {
      const list = JSON.parse(text) as Silence[];
      for (const s of list) this.byId.set(s.id, { s, compiled: compileSilenceMatchers(s.matchers) });
    } catch (e) {
      // A damaged snapshot must not stop the server: keep it aside for inspection and start empty.
      this.byId.clear();
      renameSync(file, `${file}.corrupt-${Date.now()}`);
      this.loadError = `silences snapshot ${file} unreadable (${(e as Error).message}); moved aside`;
    }
  }

  private persist(): void {
    if (!this.file) return;
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify([...this.byId.values()].map((x) => x.s)));
    renameSync(tmp, this.file);
  }

  /** Drops silences expired longer than the retention. */
  gc(): void {
    const now = this.now();
    let changed = false;
    for (const [id, { s }] of this.byId) {
      if (s.endsAt + SILENCE_RETENTION_MS < now) {
        this.byId.delete(id);
        changed = true;
      }
    }
    if (changed) this.persist();
  }

  list(): Silence[] {
    return [...this.byId.values()].map((x) => x.s);
  }

  get(id: string): Silence | undefined {
    return this.byId.get(id)?.s;
  }

  /** Creates or updates (by id) a silence; returns its id (a new one when the change cannot be made in place). */
  set(input: Omit<Silence, 'id' | 'updatedAt'> & { id?: string }): string {
    const now = this.now();
    const s: Silence = { ...input, id: input.id ?? '', updatedAt: now, matchers: input.matchers.map((m) => ({ ...m })) };
    validate(s);
    const prev = s.id ? this.byId.get(s.id)?.s : undefined;
    if (s.id && !prev) throw new SilenceError(`silence ${s.id} not found`, true);
    if (prev && this.canUpdate(prev, s, now)) {
      this.byId.set(s.id, { s, compiled: compileSilenceMatchers(s.matchers) });
      this.persist();
      return s.id;
    }
    if (s.endsAt < now) throw new SilenceError('end time can\'t be in the past');
    if (prev && silenceState(prev, now) !== 'expired') this.expireInternal(prev, now);
    s.id = randomUUID();
    if (s.startsAt < now) s.startsAt = now;
    this.byId.set(s.id, { s, compiled: compileSilenceMatchers(s.matchers) });
    this.persist();
    return s.id;
  }

  private canUpdate(a: Silence, b: Silence, now: number): boolean {
    if (!sameMatchers(a.matchers, b.matchers)) return false;
    switch (silenceState(a, now)) {
      case 'active':
        return b.startsAt === a.startsAt && b.endsAt >= now;
      case 'pending':
        return b.startsAt >= now;
      default:
        return false;
    }
  }

  private expireInternal(s: Silence, now: number): void {
    const upd = { ...s, updatedAt: now };
    if (silenceState(s, now) === 'pending') upd.startsAt = now;
    upd.endsAt = now;
    this.byId.set(s.id, { s: upd, compiled: compileSilenceMatchers(s.matchers) });
  }

  expire(id: string): void {
    const now = this.now();
    const s = this.byId.get(id)?.s;
    if (!s) throw new SilenceError(`silence ${id} not found`, true);
    if (silenceState(s, now) === 'expired') throw new SilenceError(`silence ${id} already expired`);
    this.expireInternal(s, now);
    this.persist();
  }

  /** Ids of the active silences that match the labels. */
  mutedBy(labels: Readonly<Record<string, string>>): string[] {
    const now = this.now();
    const out: string[] = [];
    for (const { s, compiled } of this.byId.values()) {
      if (silenceState(s, now) === 'active' && matchesAll(compiled, labels)) out.push(s.id);
    }
    return out.sort();
  }
}
