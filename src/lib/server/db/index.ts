import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type Client } from '@libsql/client';
import { drizzle, type LibSQLDatabase } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';
import * as schema from './schema.ts';
import { readConfig } from '../config.ts';

export type Db = LibSQLDatabase<typeof schema>;
export interface Database {
	db: Db;
	client: Client;
	url: string;
}

// The SvelteKit bundle and the relay (run by tsx) are separate module graphs in one process:
// keep one client per database URL on globalThis so both share it.
const registry: Map<string, Promise<Database>> = ((globalThis as Record<string, unknown>).__parleyDb ??= new Map()) as Map<string, Promise<Database>>;

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

async function open(url: string): Promise<Database> {
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

/** The migrated database at `url` (DATABASE_URL by default), opened once per process. */
export function getDatabase(url: string = readConfig().databaseUrl): Promise<Database> {
	let entry = registry.get(url);
	if (!entry) {
		entry = open(url);
		entry.catch(() => registry.delete(url));
		registry.set(url, entry);
	}
	return entry;
}

/** Closes and forgets the database at `url` (tests). */
export async function closeDatabase(url: string): Promise<void> {
	const entry = registry.get(url);
	if (!entry) return;
	registry.delete(url);
	(await entry).client.close();
}

export { schema };
