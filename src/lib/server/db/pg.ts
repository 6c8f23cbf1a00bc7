// The PostgreSQL store (DATABASE_URL=postgres://…), for running several nodes over one database.
// Opened beside the libsql one, never instead of it by accident: the embedded default stays libsql.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres, { type Sql } from 'postgres';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import * as schema from './schema-pg.ts';

export type PgDb = PostgresJsDatabase<typeof schema>;
export interface PgDatabase {
	db: PgDb;
	sql: Sql;
	url: string;
	close(): Promise<void>;
}

export function isPostgresUrl(url: string): boolean {
	return url.startsWith('postgres://') || url.startsWith('postgresql://');
}

function findMigrations(): string {
	const candidates = [
		process.env.PARLEY_PG_MIGRATIONS,
		path.resolve(process.cwd(), 'drizzle-pg'),
		path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../drizzle-pg')
	].filter(Boolean) as string[];
	const found = candidates.find((dir) => fs.existsSync(path.join(dir, 'meta', '_journal.json')));
	if (!found) throw new Error(`PostgreSQL migrations not found (looked in ${candidates.join(', ')})`);
	return found;
}

/** Connects and applies the pg migrations (drizzle serialises concurrent migrators with a lock table). */
export async function openPgDatabase(url: string, options: { max?: number } = {}): Promise<PgDatabase> {
	if (!isPostgresUrl(url)) throw new Error(`not a PostgreSQL URL: ${url.replace(/:[^:@/]*@/, ':***@')}`);
	const sql = postgres(url, { max: options.max ?? 10, onnotice: () => {} });
	const db = drizzle(sql, { schema });
	try {
		await migrate(db, { migrationsFolder: findMigrations() });
	} catch (error) {
		await sql.end({ timeout: 1 });
		throw error;
	}
	return { db, sql, url, close: () => sql.end({ timeout: 5 }) };
}
