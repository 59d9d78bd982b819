import { inject } from "vitest";
import type { ReceivedRequest } from "../global-setup/fake-receiver";

/** The fake receiver (test/global-setup/fake-receiver.ts): webhook receivers and email providers. */
export function receiverBase(): string {
  return `http://127.0.0.1:${inject("receiverPort")}`;
}

let counter = 0;
/** A path no other test uses (test files run in parallel against one receiver). */
export function uniquePath(prefix = "/hooks"): string {
  counter += 1;
  return `${prefix}/${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}-${counter}`;
}

export async function script(
  path: string,
  responses: { status: number; body?: string; headers?: Record<string, string>; delayMs?: number }[],
): Promise<void> {
  await fetch(`${receiverBase()}/__script`, { method: "POST", body: JSON.stringify({ path, responses }) });
}

export async function received(path: string): Promise<ReceivedRequest[]> {
  const response = await fetch(`${receiverBase()}/__requests?path=${encodeURIComponent(path)}`);
  return (await response.json()) as ReceivedRequest[];
}

/** Queues deliver in the background: tests poll the receiver with the shared helper. */
export { eventually } from "../poll";
