// Typed statement helpers, the one way SQL is run outside the connection and migrations. Each SQL text
// is prepared once per connection, and every row comes back through one mapper: snake_case column names
// become camelCase keys. The row type a caller names is checked against that convention (a snake_case
// key does not compile), so no caller casts a row.
import type Database from 'better-sqlite3';
import type { Db } from './connection.ts';

/** A row type whose keys follow the mapper's convention: camelCase, never snake_case. */
export type CamelRow<Row> = { [K in keyof Row]: K extends `${string}_${string}` ? never : Row[K] };

type Mode = 'rows' | 'pluck' | 'raw';
type Statement = Database.Statement<unknown[], unknown>;

const statements = new WeakMap<Db, Record<Mode, Map<string, Statement>>>();
/** Per statement: [column, key] for every column when some column needs renaming, null when none does. */
const renames = new WeakMap<Statement, Array<[string, string]> | null>();

function prepared(db: Db, sql: string, mode: Mode): Statement {
  let byMode = statements.get(db);
  if (!byMode) statements.set(db, (byMode = { rows: new Map(), pluck: new Map(), raw: new Map() }));
  let stmt = byMode[mode].get(sql);
  if (!stmt) {
    stmt = db.prepare<unknown[], unknown>(sql);
    if (mode === 'pluck') stmt.pluck();
    if (mode === 'raw') stmt.raw();
    byMode[mode].set(sql, stmt);
  }
  return stmt;
}

/** A snake_case column name as a camelCase key (`input_size` -> `inputSize`); other names unchanged. */
export function camelKey(column: string): string {
  return column.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function renamesOf(stmt: Statement): Array<[string, string]> | null {
  let pairs = renames.get(stmt);
  if (pairs === undefined) {
    const all = stmt.columns().map((c): [string, string] => [c.name, camelKey(c.name)]);
    pairs = all.some(([column, key]) => column !== key) ? all : null;
    renames.set(stmt, pairs);
  }
  return pairs;
}

/** The row mapper: SQLite's row object with its snake_case columns renamed. */
function mapRow(pairs: Array<[string, string]> | null, row: unknown): unknown {
  if (pairs === null || row === undefined) return row;
  const source = row as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [column, key] of pairs) out[key] = source[column];
  return out;
}

/** The first row of a query, or undefined when it returns none. */
export function one<Row extends CamelRow<Row>>(db: Db, sql: string, ...params: unknown[]): Row | undefined {
  const stmt = prepared(db, sql, 'rows');
  return mapRow(renamesOf(stmt), stmt.get(...params)) as Row | undefined;
}

/** Every row of a query. */
export function many<Row extends CamelRow<Row>>(db: Db, sql: string, ...params: unknown[]): Row[] {
  const stmt = prepared(db, sql, 'rows');
  const pairs = renamesOf(stmt);
  const rows = stmt.all(...params);
  return (pairs === null ? rows : rows.map((r) => mapRow(pairs, r))) as Row[];
}

/** Rows one at a time (for results too big to hold); prepared afresh, as a cached statement would be busy. */
export function* each<Row extends CamelRow<Row>>(db: Db, sql: string, ...params: unknown[]): Generator<Row> {
  const stmt = db.prepare<unknown[], unknown>(sql);
  const pairs = renamesOf(stmt);
  for (const row of stmt.iterate(...params)) yield mapRow(pairs, row) as Row;
}

/** The first column of the first row (a count, an id, a stored value), or undefined without a row. */
export function value<T>(db: Db, sql: string, ...params: unknown[]): T | undefined {
  return prepared(db, sql, 'pluck').get(...params) as T | undefined;
}

/** The first column of every row. */
export function values<T>(db: Db, sql: string, ...params: unknown[]): T[] {
  return prepared(db, sql, 'pluck').all(...params) as T[];
}

/** Every row as an array of its columns, in SELECT order (compact for large numeric results). */
export function tuples<Tuple extends unknown[]>(db: Db, sql: string, ...params: unknown[]): Tuple[] {
  return prepared(db, sql, 'raw').all(...params) as Tuple[];
}

/** Runs a statement that returns no rows (INSERT, UPDATE, DELETE). */
export function run(db: Db, sql: string, ...params: unknown[]): Database.RunResult {
  return prepared(db, sql, 'rows').run(...params);
}

/** The rowid of the row an INSERT added. */
export function insert(db: Db, sql: string, ...params: unknown[]): number {
  return Number(run(db, sql, ...params).lastInsertRowid);
}
