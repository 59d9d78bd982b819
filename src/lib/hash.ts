/**
 * Hashing for non-cryptographic placement (shards, offsets). FNV-1a is defined beside the rule
 * that needs it (src/domain/spread.ts; the domain imports nothing above it) and is used from here.
 */
export { fnv1a } from "../domain/spread";
