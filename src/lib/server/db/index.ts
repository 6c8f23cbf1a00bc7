import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type Client } from '@libsql/client';
import { drizzle, type LibSQLDatabase } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';
import * as schema from './schema.ts';

export type Db = LibSQLDatabase<typeof schema>;
export interface Database {
	db: Db;
	client: Client;
	url: string;
}

function findMigrations(): string {
	const candidates = [
		process.env.PARLEY_MIGRATIONS,
		path.resolve(process.cwd(), 'drizzle'),
		path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../drizzle')
	].filter(Boolean) as string[];
	const found = candidates.find((dir) => fs.existsSync(path.join(dir, 'meta', '_journal.json')));
	if (!found) throw new Error(`drizzle migrations not found (looked in ${candidates.join(', ')})`);
	return found;
}

/** Opens and migrates the database at `url`; the caller owns the client (the app closes it). */
export async function openDatabase(url: string): Promise<Database> {
	if (url.startsWith('file:')) fs.mkdirSync(path.dirname(path.resolve(url.slice(5))), { recursive: true });
	const client = createClient({ url });
	if (url.startsWith('file:')) {
		// WAL lets readers proceed during writes; busy_timeout waits out a concurrent writer instead of failing
		await client.execute('PRAGMA journal_mode = WAL');
		await client.execute('PRAGMA busy_timeout = 5000');
		// NORMAL in WAL mode: a committed transaction survives a crash of the process (the relay acks
		// after commit), but the last commits before a power loss may be lost. FULL fsyncs every
		// commit on the event loop — the local driver is synchronous — and stalled fan-out for every
		// client (measured: ~5 ms per group commit); PARLEY_DB_SYNC=full chooses it anyway.
		await client.execute(`PRAGMA synchronous = ${process.env.PARLEY_DB_SYNC === 'full' ? 'FULL' : 'NORMAL'}`);
	}
	await client.execute('PRAGMA foreign_keys = ON');
	const db = drizzle(client, { schema });
	await migrate(db, { migrationsFolder: findMigrations() });
	return { db, client, url };
}

export { schema };
