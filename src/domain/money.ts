/**
 * Money is an integer count of the currency's minor unit. The only division on the
 * money path is a proration fraction, done in bigint and rounded here, once per line.
 */

/** Rounds num/den to the nearest integer, halves away from zero. den must be > 0. */
export function roundHalfAwayFromZero(num: bigint, den: bigint): number {
  if (den <= 0n) throw new RangeError("denominator must be positive");
  const negative = num < 0n;
  const abs = negative ? -num : num;
  // NOTE: floor((2|num| + den) / 2den) is |num|/den rounded half up.
  const rounded = (2n * abs + den) / (2n * den);
  return Number(negative ? -rounded : rounded);
}

/** round(amount × numerator / denominator), exact for any safe integers. */
export function scaleAmount(amount: number, numerator: number, denominator: number): number {
  return roundHalfAwayFromZero(BigInt(amount) * BigInt(numerator), BigInt(denominator));
}

/** A safe-integer sum, throwing rather than silently losing precision. */
export function sumAmounts(amounts: readonly number[]): number {
  let total = 0;
  for (const amount of amounts) total += amount;
  if (!Number.isSafeInteger(total)) throw new RangeError("amount overflow");
  return total;
}
