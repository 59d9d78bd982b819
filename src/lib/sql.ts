/** A value SQLite storage binds or returns, and a row of them. */
export type SqlValue = string | number | null;
export type Row = Record<string, SqlValue>;

/** An actor's SQL (`Actor.query`): runs one statement and returns every row it read. */
export type Query = <T = Row>(statement: string, ...params: SqlValue[]) => T[];
