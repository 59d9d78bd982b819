#!/usr/bin/env bash
# The README walk-through, runnable as is against `npm start`:  bash scripts/walkthrough.sh
# (another server: B=http://127.0.0.1:8799 bash scripts/walkthrough.sh). Safe to run again:
# the plans are created with an Idempotency-Key, so a second run gets the same plans back.
# `npm test` runs this file and compares its output with the "# →" lines below.
set -euo pipefail
B=${B:-http://localhost:8787}
K='Authorization: Bearer sk_test_local'
J='Content-Type: application/json'

# post PATH JSON [curl options…] / get PATH: one call; a non-2xx prints the error and stops.
post() { curl -sS --fail-with-body -X POST "$B$1" -H "$K" -H "$J" -d "$2" "${@:3}"; }
get() { curl -sS --fail-with-body "$B$1" -H "$K"; }
# show FILTER: print selected fields with jq when it is installed, else the raw JSON.
show() { if command -v jq >/dev/null; then jq -c "$1"; else cat; echo; fi; }
# id PREFIX: the "id" of the JSON on stdin, checked to start with PREFIX_ (jq, or sed without it).
id() {
  local json value
  json=$(cat)
  if command -v jq >/dev/null; then value=$(jq -r '.id // empty' <<<"$json"); else value=$(sed -n 's/^{"id":"\([^"]*\)".*/\1/p' <<<"$json"); fi
  [[ $value == "$1"_* ]] || { echo "expected a $1_… id, got: $json" >&2; exit 1; }
  echo "$value"
}

# 1. A plan (client-chosen id) and a customer with Stripe's test card token.
post /v1/plans '{"id":"pro-monthly","name":"Pro","currency":"usd","amount":2000,"interval":"month"}' \
  -H 'Idempotency-Key: walkthrough-plan-pro' | show '{id,amount,interval}'
# → {"id":"pro-monthly","amount":2000,"interval":"month"}
post /v1/customers '{"email":"ada@example.com","name":"Ada","payment_method":"pm_card_visa"}' | show '{object,email}'
# → {"object":"customer","email":"ada@example.com"}

# 2. Simulated time: a test clock, a customer living on it, and a subscription.
CLOCK=$(post /v1/test_clocks '{"frozen_time":"2026-01-31T10:00:00Z"}' | id clock)
CUS=$(post /v1/customers "{\"payment_method\":\"pm_card_visa\",\"test_clock\":\"$CLOCK\"}" | id cus)
SUB=$(post /v1/subscriptions "{\"customer\":\"$CUS\",\"plan\":\"pro-monthly\"}" | id sub)
get "/v1/subscriptions/$SUB" | show '{status,current_period_start,current_period_end}'
# → {"status":"active","current_period_start":"2026-01-31T10:00:00Z","current_period_end":"2026-02-28T10:00:00Z"}

# 3. Advance three months: renewals on Feb 28, Mar 31 and Apr 30 (10:00 UTC), each invoiced and paid.
post "/v1/test_clocks/$CLOCK/advance" '{"frozen_time":"2026-05-01T00:00:00Z"}' | show '{status,frozen_time}'
# → {"status":"ready","frozen_time":"2026-05-01T00:00:00Z"}
get "/v1/subscriptions/$SUB/invoices?limit=10" | show '[.data[] | {period_start,total,status}]'
# → [{"period_start":"2026-04-30T10:00:00Z","total":2000,"status":"paid"},{"period_start":"2026-03-31T10:00:00Z","total":2000,"status":"paid"},{"period_start":"2026-02-28T10:00:00Z","total":2000,"status":"paid"},{"period_start":"2026-01-31T10:00:00Z","total":2000,"status":"paid"}]

# 4. Preview, then make, an upgrade to a $50 plan with proration, invoiced at once: 30 days 10 hours of
#    the 31-day period remain, so -round(2000 × f) + round(5000 × f) with f = 2628000 / 2678400.
post /v1/plans '{"id":"team","name":"Team","currency":"usd","amount":5000,"interval":"month"}' \
  -H 'Idempotency-Key: walkthrough-plan-team' | show '{id,amount}'
# → {"id":"team","amount":5000}
post "/v1/subscriptions/$SUB/preview_change" '{"plan":"team"}' | show '{total,lines:[.lines[] | {amount,description}]}'
# → {"total":2944,"lines":[{"amount":-1962,"description":"Unused time on Pro after 2026-05-01"},{"amount":4906,"description":"Remaining time on Team after 2026-05-01"}]}
post "/v1/subscriptions/$SUB/change" '{"plan":"team","proration_behavior":"always_invoice"}' | show '{plan,invoice:{total:.invoice.total,status:.invoice.status}}'
# → {"plan":"team","invoice":{"total":2944,"status":"paid"}}

# 5. Cancel at the period end, then change your mind. A POST whose fields are all optional needs no body.
post "/v1/subscriptions/$SUB/cancel" '{"at_period_end":true}' | show '{status,cancel_at_period_end}'
# → {"status":"active","cancel_at_period_end":true}
curl -sS --fail-with-body -X POST "$B/v1/subscriptions/$SUB/resume" -H "$K" | show '{status,cancel_at_period_end}'
# → {"status":"active","cancel_at_period_end":false}

# 6. Errors come in one envelope and name the field.
curl -sS -X POST "$B/v1/plans" -H "$K" -H "$J" -d '{"name":"Pro","currency":"usd","amount":"20.00","interval":"month"}' | show .
# → {"error":{"type":"invalid_request_error","code":"parameter_invalid","message":"Invalid value for 'amount': Invalid input: expected number, received string.","param":"amount"}}
