import { z } from "@hono/zod-openapi";
import { Timestamp } from "./common";

export const TestClock = z
  .object({
    id: z.string(),
    object: z.literal("test_clock"),
    frozen_time: Timestamp,
    status: z.enum(["ready", "advancing"]),
    created: Timestamp,
  })
  .openapi("TestClock");
export type TestClock = z.infer<typeof TestClock>;

export const TestClockCreate = z.strictObject({ frozen_time: Timestamp }).openapi("TestClockCreate");
export const TestClockAdvance = z.strictObject({ frozen_time: Timestamp }).openapi("TestClockAdvance");
