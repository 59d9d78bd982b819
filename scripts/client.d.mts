/** Types for scripts/client.mjs. */
export const DOCUMENT: string;
export const TYPES: string;
export function documentText(document: unknown): string;
export function generateTypes(input: string, output: string): void;
