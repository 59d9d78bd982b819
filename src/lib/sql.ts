/** A value SQLite storage binds or returns, and a row of them. */
export type SqlValue = string | number | null;
export type Row = Record<string, SqlValue>;
