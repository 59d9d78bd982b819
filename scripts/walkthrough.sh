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

# 6. A coupon (25 % off for 3 months) and a 20 % VAT rate, then the next renewal's invoice:
#    5000 − 1250 discount = 3750, plus VAT round(3750 × 20 / 100) = 750.
post /v1/coupons '{"id":"spring-25","percent_off":25,"duration":"repeating","duration_in_months":3}' \
  -H 'Idempotency-Key: walkthrough-coupon-spring-25' | show '{id,percent_off,duration,duration_in_months}'
# → {"id":"spring-25","percent_off":25,"duration":"repeating","duration_in_months":3}
TXR=$(post /v1/tax_rates '{"display_name":"VAT","percentage":20,"inclusive":false,"country":"DE"}' \
  -H 'Idempotency-Key: walkthrough-tax-vat' | id txr)
post "/v1/subscriptions/$SUB/tax_rates" "{\"default_tax_rates\":[\"$TXR\"]}" | show '{default_tax_rates:(.default_tax_rates | length)}'
# → {"default_tax_rates":1}
post "/v1/subscriptions/$SUB/discount" '{"coupon":"spring-25"}' | show '{coupon:.discount.coupon.id,start:.discount.start,end:.discount.end}'
# → {"coupon":"spring-25","start":"2026-05-01T00:00:00Z","end":"2026-08-01T00:00:00Z"}
post "/v1/test_clocks/$CLOCK/advance" '{"frozen_time":"2026-06-01T00:00:00Z"}' | show '{status,frozen_time}'
# → {"status":"ready","frozen_time":"2026-06-01T00:00:00Z"}
get "/v1/subscriptions/$SUB/invoices?limit=1" | show '.data[0] | {subtotal,discounts:.total_discount_amounts,tax,total,status}'
# → {"subtotal":5000,"discounts":[{"coupon":"spring-25","amount":1250}],"tax":750,"total":4500,"status":"paid"}

# 7. Errors come in one envelope and name the field.
curl -sS -X POST "$B/v1/plans" -H "$K" -H "$J" -d '{"name":"Pro","currency":"usd","amount":"20.00","interval":"month"}' | show .
# → {"error":{"type":"invalid_request_error","code":"parameter_invalid","message":"Invalid value for 'amount': Invalid input: expected number, received string.","param":"amount"}}

# 8. Usage-based billing: a meter, a plan with a base fee and a usage charge (the first 1,000 calls free,
#    then 0.5 cents each), events reported on another clock (a repeated identifier counts once), and the
#    month's usage billed in arrears on the renewal invoice: 250.5 × 0.5 = 125.25 → 125 cents.
MTR=$(post /v1/meters '{"event_name":"api_call","display_name":"API calls"}' -H 'Idempotency-Key: walkthrough-meter' | id mtr)
post /v1/plans "{\"id\":\"metered\",\"name\":\"Metered\",\"currency\":\"usd\",\"amount\":1000,\"interval\":\"month\",\"charges\":[{\"meter\":\"$MTR\",\"model\":\"graduated\",\"tiers\":[{\"up_to\":1000,\"unit_amount_decimal\":\"0\"},{\"up_to\":null,\"unit_amount_decimal\":\"0.5\"}]}]}" \
  -H 'Idempotency-Key: walkthrough-plan-metered' | show '{id,model:.charges[0].model}'
# → {"id":"metered","model":"graduated"}
CLOCK2=$(post /v1/test_clocks '{"frozen_time":"2026-06-01T00:00:00Z"}' | id clock)
CUS2=$(post /v1/customers "{\"payment_method\":\"pm_card_visa\",\"test_clock\":\"$CLOCK2\"}" | id cus)
SUB2=$(post /v1/subscriptions "{\"customer\":\"$CUS2\",\"plan\":\"metered\"}" | id sub)
E1="{\"event_name\":\"api_call\",\"identifier\":\"req-1\",\"payload\":{\"customer\":\"$CUS2\",\"value\":900}}"
E2="{\"event_name\":\"api_call\",\"identifier\":\"req-2\",\"payload\":{\"customer\":\"$CUS2\",\"value\":\"350.5\"}}"
post /v1/meter_events/batch "{\"events\":[$E1,$E2,$E1]}" | show .
# → {"object":"meter_event_batch","accepted":2,"duplicates":1}
get "/v1/subscriptions/$SUB2/usage" | show '{total,data:[.data[] | {usage_quantity,amount}]}'
# → {"total":125,"data":[{"usage_quantity":"1250.5","amount":125}]}
post "/v1/test_clocks/$CLOCK2/advance" '{"frozen_time":"2026-07-01T00:00:00Z"}' | show '{status}'
# → {"status":"ready"}
get "/v1/subscriptions/$SUB2/invoices?limit=1" | show '[.data[] | {total,lines:[.lines[] | {type,amount,usage_quantity}]}]'
# → [{"total":1125,"lines":[{"type":"subscription","amount":1000,"usage_quantity":null},{"type":"usage","amount":125,"usage_quantity":"1250.5"}]}]
