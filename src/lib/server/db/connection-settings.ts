import Database from 'libsql';

/**
 * SQLite keeps busy_timeout, synchronous and foreign_keys per connection, not per file, and
 * @libsql/client opens a new connection whenever an open transaction holds the one it has (its
 * pool, lib-esm/sqlite3.js). Set once on the first connection, the rest ran with SQLite's
 * defaults (busy_timeout=0, synchronous=FULL): a second writer failed with SQLITE_BUSY at once
 * and group commits fsynced on the event loop. So every connection runs these before its first
 * statement. journal_mode=WAL is kept in the file itself and is set by openDatabase.
 */
export function connectionSettingsSql(env: NodeJS.ProcessEnv = process.env): string {
	// NORMAL in WAL mode: a committed transaction survives a crash of the process (the relay acks
	// after commit), but the last commits before a power loss may be lost. FULL fsyncs every
	// commit on the event loop — the local driver is synchronous — and stalled fan-out for every
	// client (measured: ~5 ms per group commit); PARLEY_DB_SYNC=full chooses it anyway.
	const synchronous = env.PARLEY_DB_SYNC === 'full' ? 'FULL' : 'NORMAL';
	// busy_timeout waits out a concurrent writer (another process) instead of failing
	return `PRAGMA busy_timeout = 5000; PRAGMA synchronous = ${synchronous}; PRAGMA foreign_keys = ON;`;
}

type Connection = InstanceType<typeof Database>;
type Statement = ReturnType<Connection['prepare']>;
const configured = new WeakSet<Connection>();
/**
 * Prepared statements per connection, by SQL text. @libsql/client prepares every statement anew
 * on every execute (lib-esm/sqlite3.js executeStmt): on the many-conversations bench, preparing
 * was ~8 % of the relay's CPU. A libsql Statement is reusable — each run, get or iterate resets it,
 * the client sets raw/safeIntegers before each use, and SQLite re-prepares it after a schema
 * change — and the driver is synchronous, so no two uses of one statement overlap.
 */
const statements = new WeakMap<Connection, Map<string, Statement>>();
/** SQL built with a varying number of placeholders makes many texts: past this, start over. */
const MAX_STATEMENTS = 500;
let installed = false;

/**
 * Makes every connection of the `libsql` package (the driver under @libsql/client) run
 * connectionSettingsSql() before its first statement. The pool is private to the client, so
 * the hook is on the driver's two entry points: every statement goes through prepare or exec.
 * Idempotent; a fresh connection is never inside a transaction, where some of these are no-ops.
 */
export function configureEveryConnection(): void {
	if (installed) return;
	installed = true;
	const proto = Database.prototype as Connection;
	const { prepare, exec } = proto;
	const ensure = (connection: Connection) => {
		if (configured.has(connection)) return;
		exec.call(connection, connectionSettingsSql());
		configured.add(connection); // only after it worked: a failed attempt is retried by the next statement
	};
	proto.prepare = function (this: Connection, sql: string) {
		ensure(this);
		let cache = statements.get(this);
		if (!cache) statements.set(this, (cache = new Map()));
		let statement = cache.get(sql);
		if (!statement) {
			statement = prepare.call(this, sql) as Statement;
			if (cache.size >= MAX_STATEMENTS) cache.clear();
			cache.set(sql, statement);
		}
		return statement;
	} as typeof prepare;
	proto.exec = function (this: Connection, sql: string) {
		ensure(this);
		return exec.call(this, sql);
	};
}
