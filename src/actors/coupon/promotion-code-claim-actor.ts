import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

export type Claim = { ok: true } | { ok: false; heldBy: string };

/**
 * One per lower-cased promotion code (docs/billing-rules.md rule 13: codes are unique, matched case-insensitively):
 * the coupon whose promotion code holds it, and that code's id. A claim by the same coupon
 * again (a retried create) is granted, so a crash between the claim and the coupon's write
 * never blocks its own retry.
 */
export class PromotionCodeClaimActor extends DurableObject<Env> {
  private table(): void {
    this.ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS claim (coupon TEXT NOT NULL, promotion_code TEXT NOT NULL, PRIMARY KEY (coupon))",
    );
  }

  claim(coupon: string, promotionCode: string): Claim {
    this.table();
    const held = this.ctx.storage.sql.exec<{ coupon: string }>("SELECT coupon FROM claim").toArray()[0];
    if (held && held.coupon !== coupon) return { ok: false, heldBy: held.coupon };
    this.ctx.storage.sql.exec(
      "INSERT INTO claim (coupon, promotion_code) VALUES (?, ?) ON CONFLICT(coupon) DO UPDATE SET promotion_code = excluded.promotion_code",
      coupon,
      promotionCode,
    );
    return { ok: true };
  }

  /** The promotion code holding this code, if any (for `GET /v1/promotion_codes?code=`). */
  holder(): { coupon: string; promotionCode: string } | null {
    const exists = this.ctx.storage.sql
      .exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'claim'")
      .toArray().length;
    if (!exists) return null;
    const row = this.ctx.storage.sql
      .exec<{ coupon: string; promotion_code: string }>("SELECT coupon, promotion_code FROM claim")
      .toArray()[0];
    return row ? { coupon: row.coupon, promotionCode: row.promotion_code } : null;
  }
}
