import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type Client } from '@libsql/client';
import { drizzle, type LibSQLDatabase } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';
import * as schema from './schema.ts';
import { configureEveryConnection } from './connection-settings.ts';

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
	configureEveryConnection();
	const client = createClient({ url });
	// WAL lets readers proceed during writes; unlike the per-connection settings it is kept in the file
	if (url.startsWith('file:')) await client.execute('PRAGMA journal_mode = WAL');
	const db = drizzle(client, { schema });
	await migrate(db, { migrationsFolder: findMigrations() });
	return { db, client, url };
}

export { schema };
