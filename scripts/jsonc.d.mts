/** Types for scripts/jsonc.mjs: a configuration file of any shape. */
export function parseJsonc(text: string): any;
