import { AdmissionGate } from "../../lib/admission-gate";
import { DEFAULT_ALARM_RUNS_IN_FLIGHT } from "../../lib/env";

/**
 * Alarm runs in flight at once in this isolate, by default (BILLIFY_ALARM_RUNS_IN_FLIGHT sets
 * it). Locally (`wrangler dev`) every object of the Worker shares one isolate and one thread:
 * 1,000 renewal alarms due at one instant would all run at once, and a request would wait
 * behind every step of every one of them. With a few in flight, a request waits for at most a
 * few steps. Measured with 4 (`npm run bench -- --only=herd`, bench/README.md): the API's p99
 * from every probe timing out to under 3 s during the herd, the herd about 3× longer. A run
 * waiting on a slow gateway holds its permit, so an isolate renews at most this many per
 * gateway round trip: a deployment whose isolates host many objects due at once raises it.
 */
export const ALARM_RUNS_IN_FLIGHT = DEFAULT_ALARM_RUNS_IN_FLIGHT;

/**
 * A run that holds its permit longer than this stops counting against the limit (a slow
 * gateway, a test clock's long advance, a run whose request was canceled): the gate may let
 * one more in, never keep the others waiting for it.
 */
export const ALARM_RUN_LEASE_MS = 30_000;

/**
 * Background work (alarm runs) goes through this gate, module state, so one per isolate;
 * requests (fetch and RPC from the router or another actor) never do. So a herd of alarms
 * leaves room for requests, and one hot customer's renewals do not starve its own API calls
 * in production, where the objects sharing an isolate share its thread. Nothing is gated
 * twice: an alarm's calls to other actors are requests to them, so no permit ever waits for
 * another (no deadlock), and a lease lapses anyway (`ALARM_RUN_LEASE_MS`).
 */
export const backgroundWork = new AdmissionGate(ALARM_RUNS_IN_FLIGHT, ALARM_RUN_LEASE_MS);

/**
 * Lets whatever else is ready run first: a timer, not a resolved promise. A call between
 * objects of one process can complete without the event loop ever looking for new input, so
 * work that only awaits such calls keeps every incoming request waiting; a timer ends the
 * turn, and the loop takes in the requests that arrived meanwhile.
 */
export function yieldToRequests(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
