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

/** Polls `probe` until it returns a value that `done` accepts (queues deliver in the background). */
export async function eventually<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
