// Demo data for the dashboard: plans, customers on test clocks, and a year of history
// (renewals, upgrades, downgrades, failed payments, recoveries, cancellations), made through
// the public API only. Used by `npm run seed` (scripts/seed.mjs) and by the browser test.
// Plain Node ESM, no dependencies. Deterministic: the same seed makes the same story.

export const PLANS = [
  { id: "basic", name: "Basic", currency: "usd", amount: 1900, interval: "month" },
  { id: "pro", name: "Pro", currency: "usd", amount: 4900, interval: "month" },
  { id: "team", name: "Team (per seat)", currency: "usd", amount: 1500, interval: "month" },
  { id: "pro-annual", name: "Pro, yearly", currency: "usd", amount: 49_000, interval: "year" },
  { id: "starter-jp", name: "Starter (Japan)", currency: "jpy", amount: 1500, interval: "month" },
];

const FIRST = [
  "Ada",
  "Grace",
  "Alan",
  "Edsger",
  "Barbara",
  "Donald",
  "Frances",
  "Ken",
  "Radia",
  "Margaret",
  "Leslie",
  "Hedy",
  "Tim",
  "Katherine",
  "Dennis",
  "Sophie",
  "Linus",
  "Annie",
  "Guido",
  "Joan",
];
const LAST = [
  "Lovelace",
  "Hopper",
  "Turing",
  "Dijkstra",
  "Liskov",
  "Knuth",
  "Allen",
  "Thompson",
  "Perlman",
  "Hamilton",
  "Lamport",
  "Lamarr",
  "Berners-Lee",
  "Johnson",
  "Ritchie",
  "Wilson",
  "Torvalds",
  "Easley",
  "van Rossum",
  "Clarke",
];

const START_MS = Date.UTC(2025, 10, 29, 10, 0, 0); // a year before 2026-11-29, 10:00 UTC
const MONTHS = 12;

/** A small deterministic generator (mulberry32). */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs `fn` over `items`, a few at a time: requests wait on storage, so some overlap helps. */
async function inBatches(items, fn, width = 4) {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(fn));
}

const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const addMonths = (ms, n) => {
  const d = new Date(ms);
  d.setUTCMonth(d.getUTCMonth() + n);
  return d.getTime();
};

/**
 * Each customer's story, decided up front: which plan, and what happens in which month.
 *   steady · upgrade · downgrade · recovers (a declined renewal, then a new card) ·
 *   churns (a declined card never fixed: dunning ends it) · late-failure (still past_due at
 *   the end) · cancels (at period end or at once) · trial (joins in the last weeks, trialing) ·
 *   abandoned (joins late without a card: incomplete)
 */
function stories(count, rand) {
  const kinds = [
    ["steady", 38],
    ["upgrade", 12],
    ["downgrade", 8],
    ["recovers", 10],
    ["churns", 6],
    ["late-failure", 8],
    ["cancels", 10],
    ["trial", 5],
    ["abandoned", 3],
  ];
  const total = kinds.reduce((s, [, w]) => s + w, 0);
  const pick = () => {
    let r = rand() * total;
    for (const [kind, weight] of kinds) {
      r -= weight;
      if (r < 0) return kind;
    }
    return "steady";
  };
  return Array.from({ length: count }, (_, i) => {
    const kind = pick();
    const plan =
      kind === "upgrade"
        ? "basic"
        : kind === "downgrade"
          ? "pro"
          : ["basic", "pro", "team", "pro-annual", "starter-jp"][Math.floor(rand() * 5)];
    return {
      i,
      kind,
      plan,
      quantity: plan === "team" ? 2 + Math.floor(rand() * 9) : 1,
      month: 2 + Math.floor(rand() * 8), // when the story's event happens (months 2–9)
      name: `${FIRST[i % FIRST.length]} ${LAST[Math.floor(i / FIRST.length) % LAST.length]}`,
      email: `${FIRST[i % FIRST.length].toLowerCase()}.${LAST[Math.floor(i / FIRST.length) % LAST.length].toLowerCase().replace(/[^a-z]/g, "")}${i}@example.com`,
    };
  });
}

/**
 * Fills a running Billify. `onProgress(done, total, label)` is called after each step.
 * Returns what it made: { plans, customers, subscriptions, clocks }.
 * @param {{ url: string, adminKey?: string, customers?: number, clocks?: number, seed?: number, onProgress?: (done: number, total: number, label: string) => void }} options
 */
export async function seed({
  url,
  adminKey = "sk_admin_local",
  customers = 200,
  clocks = 40,
  seed: seedValue = 42,
  onProgress = () => {},
}) {
  const rand = random(seedValue);
  const call = async (method, path, body) => {
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${adminKey}`, ...(body ? { "content-type": "application/json" } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      const json = await res.json().catch(() => ({}));
      if (res.ok) return json;
      if ((res.status === 409 || res.status >= 500) && attempt < 5) {
        await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
        continue;
      }
      const error = new Error(`${method} ${path} → ${res.status} ${JSON.stringify(json)}`);
      error.status = res.status;
      throw error;
    }
  };

  const people = stories(customers, rand);
  const groups = Array.from({ length: clocks }, (_, c) => people.filter((p) => p.i % clocks === c));
  const total = PLANS.length + customers + clocks * MONTHS;
  let done = 0;
  const step = (label) => onProgress(++done, total, label);

  for (const plan of PLANS) {
    try {
      await call("POST", "/v1/plans", plan);
    } catch (error) {
      if (error.status !== 409) throw error; // seeded before: the plan is there
    }
    step(`plan ${plan.id}`);
  }

  const made = { plans: PLANS.map((p) => p.id), customers: [], subscriptions: [], clocks: [] };

  async function timeline(group) {
    const clock = await call("POST", "/v1/test_clocks", { frozen_time: iso(START_MS) });
    made.clocks.push(clock.id);
    const late = []; // joins today
    await inBatches(group, async (person) => {
      const joinsLate = person.kind === "trial" || person.kind === "abandoned";
      const customer = await call("POST", "/v1/customers", {
        email: person.email,
        name: person.name,
        payment_method: person.kind === "abandoned" ? null : "pm_card_visa",
        test_clock: clock.id,
        metadata: { story: person.kind },
      });
      made.customers.push(customer.id);
      person.customer = customer.id;
      if (joinsLate) late.push(person);
      else {
        const sub = await call("POST", "/v1/subscriptions", {
          customer: customer.id,
          plan: person.plan,
          quantity: person.quantity,
          metadata: { story: person.kind },
        });
        person.subscription = sub.id;
        made.subscriptions.push(sub.id);
      }
      step(`customer ${person.name}`);
    });
    for (let month = 1; month <= MONTHS; month++) {
      const at = addMonths(START_MS, month);
      await inBatches(group, async (p) => {
        if (!p.subscription) return;
        const sub = `/v1/subscriptions/${p.subscription}`;
        if (p.kind === "upgrade" && p.month === month) await call("POST", `${sub}/change`, { plan: "pro" });
        if (p.kind === "downgrade" && p.month === month)
          await call("POST", `${sub}/change`, { plan: "basic", proration_behavior: "none" });
        if ((p.kind === "recovers" || p.kind === "churns") && p.month === month) {
          await call("PATCH", `/v1/customers/${p.customer}`, { payment_method: "pm_card_chargeDeclined" });
        }
        if (p.kind === "recovers" && p.month + 1 === month)
          await call("PATCH", `/v1/customers/${p.customer}`, { payment_method: "pm_card_visa" });
        if (p.kind === "late-failure" && month === MONTHS) {
          await call("PATCH", `/v1/customers/${p.customer}`, {
            payment_method: "pm_card_chargeDeclinedInsufficientFunds",
          });
        }
        if (p.kind === "cancels" && p.month === month)
          await call("POST", `${sub}/cancel`, { at_period_end: p.i % 2 === 0 });
      });
      // Just past the renewal: a declined card shows as past_due, not yet canceled.
      const advanced = await call("POST", `/v1/test_clocks/${clock.id}/advance`, { frozen_time: iso(at + 3_600_000) });
      let status = advanced.status;
      while (status === "advancing") {
        await new Promise((r) => setTimeout(r, 200));
        status = (await call("GET", `/v1/test_clocks/${clock.id}`)).status;
      }
      step(`month ${month} on ${clock.id}`);
    }
    // Newcomers of today: a trial, or a signup without a card (incomplete for 23 hours).
    await inBatches(late, async (p) => {
      const body = {
        customer: p.customer,
        plan: p.plan,
        quantity: p.quantity,
        metadata: { story: p.kind },
        ...(p.kind === "trial" ? { trial_days: 14 } : {}),
      };
      const sub = await call("POST", "/v1/subscriptions", body);
      p.subscription = sub.id;
      made.subscriptions.push(sub.id);
    });
  }

  await Promise.all(groups.map(timeline));
  return made;
}
