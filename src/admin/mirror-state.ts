import type { Query } from "../lib/sql";

/**
 * What an actor last mirrored to the admin read model, kept in its own SQLite beside the
 * truth: the KV keys it wrote (so a transition removes the old ones), the version written,
 * when (KV takes one write per second per key), and the version its metrics shard holds.
 * The table is created on the first write; read paths never touch it.
 */
export interface MirrorState {
  keys: string[];
  kvVersion: number;
  writtenMs: number;
  metricsVersion: number;
  /** The contribution last sent to the metrics shard (status, currency, MRR), as JSON. */
  metrics: string;
  /** A change counter for actors without a version of their own (the customer). */
  version: number;
}

const EMPTY: MirrorState = { keys: [], kvVersion: 0, writtenMs: 0, metricsVersion: 0, metrics: "", version: 0 };

/** Where an actor keeps its `MirrorState`: the `_admin_mirror` table (`mirrorTable`), or a row of its own. */
export interface MirrorStore {
  load(): MirrorState;
  save(state: MirrorState): void;
}

/** Nothing mirrored yet. */
export function noMirrorYet(): MirrorState {
  return { ...EMPTY, keys: [] };
}

/** The state in the `_admin_mirror` table (`query`: the actor's query for that table made on demand). */
export function mirrorTable(query: Query): MirrorStore {
  return { load: () => loadMirrorState(query), save: (state) => saveMirrorState(query, state) };
}

/**
 * The table, made by the actor on its first save (never on a read): every `query` given to
 * this module is the actor's query for this table made on demand (an INSERT makes it; any
 * other statement before then finds nothing), so nothing here checks for it.
 */
export const ADMIN_MIRROR_TABLE = {
  name: "_admin_mirror",
  create: [
    `CREATE TABLE IF NOT EXISTS _admin_mirror (
       id INTEGER PRIMARY KEY CHECK (id = 1), keys TEXT NOT NULL, kv_version INTEGER NOT NULL,
       written_ms INTEGER NOT NULL, metrics_version INTEGER NOT NULL, metrics TEXT NOT NULL, version INTEGER NOT NULL)`,
  ],
} as const;

export function loadMirrorState(query: Query): MirrorState {
  const row = query<{
    keys: string;
    kv_version: number;
    written_ms: number;
    metrics_version: number;
    metrics: string;
    version: number;
  }>("SELECT * FROM _admin_mirror")[0];
  if (!row) return { ...EMPTY };
  return {
    keys: JSON.parse(row.keys) as string[],
    kvVersion: row.kv_version,
    writtenMs: row.written_ms,
    metricsVersion: row.metrics_version,
    metrics: row.metrics,
    version: row.version,
  };
}

/**
 * Saves what was mirrored. Never the change counter: `state` was loaded before the KV writes
 * were awaited, and a change made meanwhile (`bumpChangeCount`) must not be undone.
 */
function saveMirrorState(query: Query, state: MirrorState): void {
  query(
    `INSERT INTO _admin_mirror (id, keys, kv_version, written_ms, metrics_version, metrics, version) VALUES (1, ?, ?, ?, ?, ?, 0)
     ON CONFLICT(id) DO UPDATE SET keys = excluded.keys, kv_version = excluded.kv_version, written_ms = excluded.written_ms,
       metrics_version = excluded.metrics_version, metrics = excluded.metrics`,
    JSON.stringify(state.keys),
    state.kvVersion,
    state.writtenMs,
    state.metricsVersion,
    state.metrics,
  );
}

/** Inside a change's transaction: one more change to mirror (for actors without a version); one row written. */
export function bumpChangeCount(query: Query): number {
  return query<{ version: number }>(
    `INSERT INTO _admin_mirror (id, keys, kv_version, written_ms, metrics_version, metrics, version) VALUES (1, '[]', 0, 0, 0, '', 1)
     ON CONFLICT(id) DO UPDATE SET version = version + 1 RETURNING version`,
  )[0]!.version;
}

/** For an actor without a version of its own (the customer): whether changes were made since the last KV write. */
export function mirrorIsBehind(query: Query): boolean {
  const state = loadMirrorState(query);
  return state.kvVersion < state.version;
}

/** The versions the read model holds (KV and metrics, the older of the two): 0 when nothing was mirrored yet. */
export function oldestMirroredVersion(store: MirrorStore): number {
  const state = store.load();
  return Math.min(state.kvVersion, state.metricsVersion);
}

/** The change counter (0 when never bumped). */
export function changeCount(query: Query): number {
  return loadMirrorState(query).version;
}

/** KV allows one write per second per key; an actor's keys are written together, so per actor. */
const KV_MIN_WRITE_INTERVAL_MS = 1_000;

/** One KV key of an actor's read model. */
interface KeyEntry {
  key: string;
  value: string;
  metadata: unknown;
  /**
   * false for a pure index key (its name is the whole content): it is put once, when it first
   * belongs to the actor, and not rewritten when only the summary changes. A renewal then
   * costs one KV write (the record key) instead of one per index.
   */
  refresh: boolean;
}

/**
 * Puts `entries` and deletes the keys written last time that are no longer wanted, unless
 * the last write was under a second ago: then it returns when to try again. `state` is what
 * the caller loaded; the new state is saved once, with `extra` (the metrics' progress).
 */
export async function writeKeys(
  kv: KVNamespace,
  store: MirrorStore,
  version: number,
  entries: KeyEntry[],
  nowMs: number,
  state: MirrorState = store.load(),
  extra: Partial<MirrorState> = {},
): Promise<number | undefined> {
  const keys = entries.map((e) => e.key);
  const changedExtra = Object.entries(extra).some(([k, v]) => state[k as keyof MirrorState] !== v);
  if (state.kvVersion >= version && sameKeys(state.keys, keys)) {
    if (changedExtra) store.save({ ...state, ...extra });
    return;
  }
  if (nowMs - state.writtenMs < KV_MIN_WRITE_INTERVAL_MS) {
    if (changedExtra) store.save({ ...state, ...extra });
    return state.writtenMs + KV_MIN_WRITE_INTERVAL_MS;
  }
  // New keys first, then the stale ones: a listing may briefly show a row under both
  // statuses, never under neither.
  const puts = entries.filter((e) => e.refresh || !state.keys.includes(e.key));
  await Promise.all(puts.map((e) => kv.put(e.key, e.value, { metadata: e.metadata })));
  const stale = state.keys.filter((k) => !keys.includes(k));
  await Promise.all(stale.map((k) => kv.delete(k)));
  store.save({ ...state, ...extra, keys, kvVersion: version, writtenMs: nowMs });
}

function sameKeys(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
}
