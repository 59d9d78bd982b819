import type { ListPage } from "../../contract/common";
import { MAX_METADATA_KEYS, mergeMetadata, tooManyMetadataKeys } from "../../contract/common";
import type { Outcome } from "../../contract/errors";
import { failure, notFound, ok } from "../../contract/errors";
import type { Idempotency } from "../../contract/idempotency";
import type { WebhookEndpoint, WebhookEndpointCreate, WebhookEndpointUpdate } from "../../contract/webhook-endpoint";
import { toIso } from "../../domain/time";
import { hex } from "../../lib/bytes";
import { routingKeyOf } from "../../lib/ids";
import { ENDPOINTS_KEY, type EndpointSnapshot } from "../../notifications/webhooks/snapshot";
import { Actor } from "../actor";
import { IdempotentRequests } from "../capabilities/idempotent-requests";
import { ReadModel } from "../capabilities/read-model";

/** docs/billing-rules.md, Events: an endpoint whose deliveries have all failed for 3 days is disabled. */
export const DISABLE_AFTER_MS = 3 * 86_400_000;

interface EndpointRow {
  id: string;
  url: string;
  enabled_events: string;
  status: "enabled" | "disabled";
  secret: string;
  description: string | null;
  metadata: string;
  created: number;
  failing_since_ms: number | null;
  /** The secret before the last roll, still signing until `previous_secret_expires_ms`. */
  previous_secret: string | null;
  previous_secret_expires_ms: number | null;
}

/** How long a rolled secret keeps signing by default (Stripe's default), and at most. */
export const ROLL_GRACE_DEFAULT_SECONDS = 86_400;
export const ROLL_GRACE_MAX_SECONDS = 7 * 86_400;

/**
 * The account's webhook endpoints: one small actor (named `account`) on the write path, and
 * asked once per delivery batch for the signing secrets (`signingSecrets`), which never leave
 * it for KV. Every change (and every change of failure state) is mirrored, secrets excepted, to
 * one KV key that the queue consumer reads once per batch; the actor is told of an endpoint's failures only when its state must change (first failure, recovery,
 * 3 days of failures).
 */
export class WebhookEndpointsActor extends Actor {
  protected readonly migrations = [
    [
      `CREATE TABLE endpoint (
         id TEXT PRIMARY KEY, url TEXT NOT NULL, enabled_events TEXT NOT NULL, status TEXT NOT NULL,
         secret TEXT NOT NULL, description TEXT, metadata TEXT NOT NULL, created INTEGER NOT NULL,
         failing_since_ms INTEGER)`,
    ],
    [
      "ALTER TABLE endpoint ADD COLUMN previous_secret TEXT",
      "ALTER TABLE endpoint ADD COLUMN previous_secret_expires_ms INTEGER",
      // Rewrites the KV snapshot at the next flush: the one written before held the secrets.
      "INSERT INTO _meta (key, value) VALUES ('read_model_dirty', 1) ON CONFLICT(key) DO UPDATE SET value = 1",
    ],
    ["CREATE TABLE dead_letter_replay (id TEXT PRIMARY KEY, replayed_ms INTEGER NOT NULL)"],
  ];

  private readonly requests = new IdempotentRequests(this.storage, () => this.afterWrite());
  /** The one KV key the queue consumer reads (its only alarm work: retrying this write). */
  protected override readonly readModel = new ReadModel(this.storage, {
    changeCount: () =>
      this.queryOne<{ value: number }>("SELECT value FROM _meta WHERE key = 'endpoints_version'")?.value ?? 0,
    write: async () => {
      await this.env.BILLIFY_KV.put(ENDPOINTS_KEY, JSON.stringify(this.snapshotRows()));
      return undefined;
    },
  });

  async create(
    id: string,
    input: WebhookEndpointCreate,
    nowMs: number,
    idem: Idempotency | null,
  ): Promise<Outcome<WebhookEndpoint>> {
    return this.requests.run(idem, () =>
      this.requests.commit(idem, () => {
        const secret = `whsec_${randomHex(32)}`;
        this.query(
          `INSERT INTO endpoint (id, url, enabled_events, status, secret, description, metadata, created)
           VALUES (?, ?, ?, 'enabled', ?, ?, ?, ?)`,
          id,
          input.url,
          JSON.stringify(input.enabled_events),
          secret,
          input.description ?? null,
          JSON.stringify(input.metadata),
          Math.floor(nowMs / 1000),
        );
        this.changed();
        // The secret is shown once, here (as Stripe).
        return ok({ ...this.view(this.row(id)!), secret }, 201);
      }),
    );
  }

  async get(id: string): Promise<Outcome<WebhookEndpoint>> {
    const row = this.row(id);
    return row ? ok(this.view(row)) : notFound("webhook endpoint", id);
  }

  /** Newest first; the cursor is the last id of the previous page. */
  async list(limit: number, cursor: string | null): Promise<Outcome<ListPage<WebhookEndpoint>>> {
    if (cursor !== null && !routingKeyOf(cursor, "we")) {
      return failure(400, "parameter_invalid", "Invalid cursor: pass a next_cursor from a previous page.", "cursor");
    }
    const rows = cursor
      ? this.query<EndpointRow>("SELECT * FROM endpoint WHERE id < ? ORDER BY id DESC LIMIT ?", cursor, limit + 1)
      : this.query<EndpointRow>("SELECT * FROM endpoint ORDER BY id DESC LIMIT ?", limit + 1);
    const data = rows.slice(0, limit).map((row) => this.view(row));
    const hasMore = rows.length > limit;
    return ok({ object: "list", data, has_more: hasMore, next_cursor: hasMore ? data.at(-1)!.id : null });
  }

  async update(id: string, patch: WebhookEndpointUpdate, idem: Idempotency | null): Promise<Outcome<WebhookEndpoint>> {
    return this.requests.run(idem, () =>
      this.requests.commit(idem, () => {
        const row = this.row(id);
        if (!row) return notFound<WebhookEndpoint>("webhook endpoint", id);
        const metadata = mergeMetadata(JSON.parse(row.metadata) as Record<string, string>, patch.metadata ?? {});
        if (Object.keys(metadata).length > MAX_METADATA_KEYS) return tooManyMetadataKeys<WebhookEndpoint>();
        const status = patch.status ?? row.status;
        this.query(
          `UPDATE endpoint SET url = ?, enabled_events = ?, status = ?, description = ?, metadata = ?,
             failing_since_ms = CASE WHEN ? = 'enabled' AND status = 'disabled' THEN NULL ELSE failing_since_ms END
           WHERE id = ?`,
          patch.url ?? row.url,
          patch.enabled_events ? JSON.stringify(patch.enabled_events) : row.enabled_events,
          status,
          patch.description !== undefined ? patch.description : row.description,
          JSON.stringify(metadata),
          status,
          id,
        );
        this.changed();
        return ok(this.view(this.row(id)!));
      }),
    );
  }

  async remove(id: string): Promise<Outcome<{ id: string; object: "webhook_endpoint"; deleted: true }>> {
    return this.requests.run(null, () =>
      this.requests.commit(null, () => {
        if (!this.row(id)) return notFound("webhook endpoint", id);
        this.query("DELETE FROM endpoint WHERE id = ?", id);
        this.changed();
        return ok({ id, object: "webhook_endpoint" as const, deleted: true as const });
      }),
    );
  }

  /**
   * A delivery to `id` failed at `atMs`. The first failure after a success starts the clock;
   * a failure 3 days after that disables the endpoint. Idempotent; returns the status.
   */
  async reportFailure(id: string, atMs: number): Promise<"enabled" | "disabled" | "missing"> {
    const outcome = await this.requests.run(null, () =>
      this.requests.commit(null, () => {
        const row = this.row(id);
        if (!row) return ok("missing" as const);
        if (row.status === "disabled") return ok("disabled" as const);
        if (row.failing_since_ms === null) {
          this.query("UPDATE endpoint SET failing_since_ms = ? WHERE id = ?", atMs, id);
          this.changed();
          return ok("enabled" as const);
        }
        if (atMs - row.failing_since_ms >= DISABLE_AFTER_MS) {
          this.query("UPDATE endpoint SET status = 'disabled' WHERE id = ?", id);
          this.changed();
          return ok("disabled" as const);
        }
        return ok("enabled" as const);
      }),
    );
    return outcome.ok ? outcome.value : "missing";
  }

  /** A delivery to `id` succeeded: its failure clock stops. */
  async reportSuccess(id: string): Promise<void> {
    await this.requests.run(null, () =>
      this.requests.commit(null, () => {
        const row = this.row(id);
        if (row && row.failing_since_ms !== null) {
          this.query("UPDATE endpoint SET failing_since_ms = NULL WHERE id = ?", id);
          this.changed();
        }
        return ok(null);
      }),
    );
  }

  /**
   * A new signing secret for `id`, returned this once. The old one keeps signing beside it for
   * `graceSeconds` (0: it stops now), so receivers that still hold it verify every delivery
   * until they switch. Rolling again within a grace period drops the oldest secret at once.
   */
  async rollSecret(
    id: string,
    graceSeconds: number,
    nowMs: number,
    idem: Idempotency | null,
  ): Promise<Outcome<WebhookEndpoint>> {
    return this.requests.run(idem, () =>
      this.requests.commit(idem, () => {
        const row = this.row(id);
        if (!row) return notFound<WebhookEndpoint>("webhook endpoint", id);
        const secret = `whsec_${randomHex(32)}`;
        const expires = graceSeconds > 0 ? nowMs + graceSeconds * 1000 : null;
        this.query(
          "UPDATE endpoint SET secret = ?, previous_secret = ?, previous_secret_expires_ms = ? WHERE id = ?",
          secret,
          expires === null ? null : row.secret,
          expires,
          id,
        );
        return ok({ ...this.view(this.row(id)!), secret });
      }),
    );
  }

  /**
   * The secrets that sign deliveries to each of `ids` at `nowMs`: the current one first, then
   * the rolled one while its grace period lasts. The consumer asks once per batch; secrets are
   * never in KV.
   */
  async signingSecrets(ids: readonly string[], nowMs: number): Promise<Record<string, string[]>> {
    const secrets: Record<string, string[]> = {};
    for (const id of new Set(ids)) {
      const row = this.row(id);
      if (!row) continue;
      const previousLive = row.previous_secret !== null && (row.previous_secret_expires_ms ?? 0) > nowMs;
      secrets[id] = previousLive ? [row.secret, row.previous_secret!] : [row.secret];
    }
    return secrets;
  }

  /**
   * Claims the replay of dead letter `id` (POST /v1/admin/dead_letters/{id}/replay): the first
   * claim wins (`first: true`) and the caller sends the message again; every later one finds the
   * time of that replay and sends nothing, so a replayed dead letter is delivered once. A webhook
   * dead letter replays only to an endpoint that exists and is enabled (a disabled one would drop it).
   */
  async claimDeadLetterReplay(
    id: string,
    endpointId: string | null,
    nowMs: number,
  ): Promise<Outcome<{ first: boolean; replayedMs: number }>> {
    return this.requests.run(null, () =>
      this.requests.commit(null, () => {
        const done = this.queryOne<{ replayed_ms: number }>(
          "SELECT replayed_ms FROM dead_letter_replay WHERE id = ?",
          id,
        );
        if (done) return ok({ first: false, replayedMs: done.replayed_ms });
        if (endpointId !== null && this.row(endpointId)?.status !== "enabled") {
          return failure<{ first: boolean; replayedMs: number }>(
            409,
            "endpoint_not_enabled",
            `Webhook endpoint ${endpointId} is deleted or disabled: re-enable it (POST /v1/webhook_endpoints/{id} with {"status":"enabled"}) before replaying.`,
            "endpoint",
          );
        }
        this.query("INSERT INTO dead_letter_replay (id, replayed_ms) VALUES (?, ?)", id, nowMs);
        return ok({ first: true, replayedMs: nowMs });
      }),
    );
  }

  /** The replay's send failed after its claim: the next request may try again. */
  async releaseDeadLetterReplay(id: string): Promise<void> {
    await this.requests.run(null, () =>
      this.requests.commit(null, () => {
        this.query("DELETE FROM dead_letter_replay WHERE id = ?", id);
        return ok(null);
      }),
    );
  }

  /** What the consumer reads (tests call it to skip KV). */
  async snapshot(): Promise<EndpointSnapshot[]> {
    return this.snapshotRows();
  }

  private snapshotRows(): EndpointSnapshot[] {
    return this.query<EndpointRow>("SELECT * FROM endpoint ORDER BY id").map((row) => ({
      id: row.id,
      url: row.url,
      enabled_events: JSON.parse(row.enabled_events) as string[],
      status: row.status,
      failing_since_ms: row.failing_since_ms,
    }));
  }

  private row(id: string): EndpointRow | undefined {
    return this.queryOne<EndpointRow>("SELECT * FROM endpoint WHERE id = ?", id);
  }

  private view(row: EndpointRow): WebhookEndpoint {
    return {
      id: row.id,
      object: "webhook_endpoint",
      url: row.url,
      enabled_events: JSON.parse(row.enabled_events) as string[],
      status: row.status,
      description: row.description,
      metadata: JSON.parse(row.metadata) as Record<string, string>,
      created: toIso(row.created),
      previous_secret_expires:
        row.previous_secret_expires_ms === null ? null : toIso(Math.floor(row.previous_secret_expires_ms / 1000)),
    };
  }

  private changed(): void {
    this.query(
      "INSERT INTO _meta (key, value) VALUES ('endpoints_version', 1) ON CONFLICT(key) DO UPDATE SET value = value + 1",
    );
    this.readModel.markChanged();
  }
}

function randomHex(bytes: number): string {
  return hex(crypto.getRandomValues(new Uint8Array(bytes)));
}
