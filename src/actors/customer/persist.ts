import { ulid } from "ulid";
import type { Customer } from "../../contract/customer";
import type { CustomerDecision } from "../../domain/customer";
import type { CustomerContext } from "./context";
import type { PaymentPush } from "./payment-push";

// The one writer of the customer's decisions (src/domain/customer.ts), inside the caller's
// transaction: the customer row, the listing's version, its event, then the payment-details
// push owed to every subscription (the push after the commit, or the alarm after a crash,
// delivers it).

/** Writes one decision, all of it (call inside a transaction); the customer as stored. */
export function persist(ctx: CustomerContext, push: PaymentPush, decision: CustomerDecision): Customer {
  const c = decision.customer;
  if (decision.create)
    ctx.query(
      `INSERT INTO customer (id, email, name, payment_method, test_clock, metadata, created)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      decision.create.id,
      c.email,
      c.name,
      c.paymentMethod,
      decision.create.testClock,
      JSON.stringify(c.metadata),
      decision.create.created,
    );
  else
    ctx.query(
      "UPDATE customer SET email = ?, name = ?, payment_method = ?, metadata = ?",
      c.email,
      c.name,
      c.paymentMethod,
      JSON.stringify(c.metadata),
    );
  const version = ctx.markChanged();
  const stored = ctx.load()!;
  // docs/billing-rules.md, Events: in the transaction of the change it reports (the outbox sends it after the commit).
  if (decision.event)
    ctx.query(
      "INSERT INTO event (id, type, created, data) VALUES (?, ?, ?, ?)",
      `evt_${ulid()}`,
      decision.event.type,
      decision.event.at,
      JSON.stringify({ object: stored }),
    );
  if (decision.push) push.owe(version, decision.push.retry);
  return stored;
}
