/**
 * Bench-only instrumentation (never deployed: only bench/worker.ts imports it). It wraps an
 * actor's `ctx` and `env` so that, while a profile is being recorded, every SQL statement
 * (rows written and read, indexes included), every transaction, every RPC to another actor,
 * every KV call, every alarm call and every gateway charge is tallied by the actor kind that
 * made it. workerd's clock moves only on I/O, so async steps have real durations and the
 * synchronous ones (transactions, JSON) show as the remainder of the operation that ran them.
 */

export interface StepTally {
  n: number;
  ms: number;
  /** Rows written and read: statements only; for a transaction, everything run inside it. */
  rowsWritten: number;
  rowsRead: number;
}

interface PendingCursor {
  key: string;
  cursor: { rowsWritten: number; rowsRead: number };
}

const state = {
  on: false,
  steps: new Map<string, StepTally>(),
  pending: [] as PendingCursor[],
  kvWrites: 0,
};

function tally(key: string, ms: number, rowsWritten = 0, rowsRead = 0): void {
  let entry = state.steps.get(key);
  if (!entry) {
    entry = { n: 0, ms: 0, rowsWritten: 0, rowsRead: 0 };
    state.steps.set(key, entry);
  }
  entry.n += 1;
  entry.ms += ms;
  entry.rowsWritten += rowsWritten;
  entry.rowsRead += rowsRead;
}

/** Statement text without its literal noise, short enough for a table. */
function statementKey(sql: string): string {
  return sql.replace(/\s+/g, " ").trim().slice(0, 120);
}

export interface ProfileSnapshot {
  steps: Record<string, StepTally>;
  kvWrites: number;
}

/** Starts (or restarts) recording; `snapshot` reads and clears what was recorded. */
export function startProfile(): void {
  state.on = true;
  state.steps.clear();
  state.pending = [];
  state.kvWrites = 0;
}

export function snapshot(stop: boolean): ProfileSnapshot {
  for (const { key, cursor } of state.pending) tally(key, 0, cursor.rowsWritten, cursor.rowsRead);
  state.pending = [];
  const steps = Object.fromEntries(state.steps);
  const out = { steps, kvWrites: state.kvWrites };
  state.steps = new Map();
  state.kvWrites = 0;
  if (stop) state.on = false;
  return out;
}

/** Times one awaited step under `key` (only while recording). */
export async function timed<T>(key: string, run: () => Promise<T>): Promise<T> {
  if (!state.on) return run();
  const start = performance.now();
  try {
    return await run();
  } finally {
    tally(key, performance.now() - start);
  }
}

type AnyFunction = (...args: unknown[]) => unknown;

/** A proxy whose methods stay bound to the real object (workerd's objects check `this`). */
function bound<T extends object>(target: T, override: (prop: string | symbol) => unknown): T {
  return new Proxy(target, {
    get(t, prop) {
      const replaced = override(prop);
      if (replaced !== undefined) return replaced;
      const value = Reflect.get(t, prop, t) as unknown;
      return typeof value === "function" ? (value as AnyFunction).bind(t) : value;
    },
  });
}

/** Replaces a method on this one object (workerd refuses a proxied `ctx`, so we patch it). */
function patch<T extends object>(target: T, name: string, wrap: (original: AnyFunction) => AnyFunction): void {
  const original = (Reflect.get(target, name) as AnyFunction).bind(target);
  Object.defineProperty(target, name, { value: wrap(original), configurable: true, writable: true });
}

/**
 * Instruments one actor's storage in place: SQL statements, transactions and alarm calls.
 * Called before the actor's constructor, so its migrations are counted too.
 */
export function instrumentCtx(ctx: DurableObjectState, who: string): void {
  const storage = ctx.storage;
  patch(storage.sql, "exec", (exec) => (query: unknown, ...bindings: unknown[]) => {
    const cursor = exec(query, ...bindings) as PendingCursor["cursor"];
    // Miniflare's own bookkeeping (the object's name) does not exist in production.
    if (state.on && !String(query).includes("__miniflare"))
      state.pending.push({ key: `${who} sql ${statementKey(String(query))}`, cursor });
    return cursor;
  });
  patch(storage, "transactionSync", (transactionSync) => (fn: unknown) => {
    if (!state.on) return transactionSync(fn);
    const before = state.pending.length;
    const start = performance.now();
    const result = transactionSync(fn);
    const inside = state.pending.slice(before);
    tally(
      `${who} transaction`,
      performance.now() - start,
      inside.reduce((sum, p) => sum + p.cursor.rowsWritten, 0),
      inside.reduce((sum, p) => sum + p.cursor.rowsRead, 0),
    );
    return result;
  });
  // The key-value API (partyserver keeps `__ps_name` there): each put or delete is a row written.
  for (const name of ["put", "delete"]) {
    patch(storage, name, (call) => (...args: unknown[]) => {
      if (state.on) tally(`${who} sql (storage.${name})`, 0, 1, 0);
      return call(...args);
    });
  }
  for (const name of ["setAlarm", "deleteAlarm", "getAlarm"]) {
    patch(
      storage,
      name,
      (call) =>
        (...args: unknown[]) =>
          timed(`${who} ${name}`, () => call(...args) as Promise<unknown>),
    );
  }
}

function instrumentStub(stub: object, label: string): object {
  return new Proxy(stub, {
    get(t, prop) {
      const value = Reflect.get(t, prop, t) as unknown;
      if (typeof value !== "function" || typeof prop !== "string") return value;
      return (...args: unknown[]) =>
        timed(`${label}.${prop}`, async () => Reflect.apply(value as AnyFunction, t, args) as unknown);
    },
  });
}

function instrumentNamespace(ns: DurableObjectNamespace, label: string): DurableObjectNamespace {
  return bound(ns, (prop) => {
    if (prop === "getByName") return (name: string) => instrumentStub(ns.getByName(name), label);
    if (prop === "get") return (id: DurableObjectId) => instrumentStub(ns.get(id), label);
    return undefined;
  });
}

function instrumentKv(kv: KVNamespace, who: string): KVNamespace {
  return bound(kv, (prop) => {
    if (prop !== "put" && prop !== "get" && prop !== "list" && prop !== "delete") return undefined;
    return (...args: unknown[]) => {
      if (state.on && prop === "put") state.kvWrites += 1;
      return timed(
        `${who} kv.${prop}`,
        () => Reflect.apply(Reflect.get(kv, prop) as AnyFunction, kv, args) as Promise<unknown>,
      );
    };
  });
}

/** The bench's own objects (the echo, the herd's gateway) are not Billify's requests. */
const BENCH_ONLY = ["ECHO", "HERD_GATEWAY"];

function isNamespace(value: unknown): value is DurableObjectNamespace {
  const ns = value as Partial<DurableObjectNamespace> | null;
  return typeof ns?.idFromName === "function" && typeof ns.getByName === "function";
}

/** The env an actor (or the router) sees: its actor namespaces and KV, timed. */
export function instrumentEnv<E extends object>(env: E, who: string): E {
  const replaced = new Map<string | symbol, unknown>();
  for (const [name, value] of Object.entries(env)) {
    if (name === "BILLIFY_KV") replaced.set(name, instrumentKv(value as KVNamespace, who));
    else if (isNamespace(value) && !BENCH_ONLY.includes(name)) {
      // Every actor binding (the idempotency keys, the metrics shards, the meters, … too): each
      // call is a Durable Object request, billed.
      replaced.set(name, instrumentNamespace(value, `${who}→${name.toLowerCase()}`));
    }
  }
  return new Proxy(env, { get: (t, prop) => (replaced.has(prop) ? replaced.get(prop) : Reflect.get(t, prop, t)) });
}
