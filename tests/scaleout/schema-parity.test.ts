// schema.ts (libsql) and schema-pg.ts (PostgreSQL) are two files because drizzle has no schema
// shared across dialects; this fails as soon as a table, column, nullability, default, key or
// index exists in one and not the other.
import { describe, expect, it } from 'vitest';
import { getTableConfig as sqliteConfig, SQLiteTable } from 'drizzle-orm/sqlite-core';
import { getTableConfig as pgConfig, PgTable } from 'drizzle-orm/pg-core';
import * as lite from '../../src/lib/server/db/schema.ts';
import * as pg from '../../src/lib/server/db/schema-pg.ts';

interface Shape {
	columns: Record<string, { notNull: boolean; hasDefault: boolean; primary: boolean; enumValues?: string[] }>;
	primaryKeys: string[][];
	indexes: string[];
	uniques: string[];
	foreignKeys: string[];
}

type AnyConfig = ReturnType<typeof sqliteConfig> | ReturnType<typeof pgConfig>;

function shape(config: AnyConfig): Shape {
	const columns: Shape['columns'] = {};
	for (const c of config.columns) {
		columns[c.name] = {
			notNull: c.notNull,
			// an identity column has a value without a default clause; both mean "may be omitted"
			hasDefault: c.hasDefault || ('generatedIdentity' in c && !!c.generatedIdentity),
			primary: c.primary,
			enumValues: c.enumValues
		};
	}
	return {
		columns,
		primaryKeys: config.primaryKeys.map((k) => k.columns.map((c) => c.name)),
		indexes: config.indexes.map((i) => `${i.config.name}${i.config.unique ? ' unique' : ''}(${i.config.columns.map((c) => ('name' in c ? c.name : '?')).join(',')})`).sort(),
		uniques: config.columns.filter((c) => c.isUnique).map((c) => c.name).sort(),
		foreignKeys: config.foreignKeys
			.map((fk) => {
				const ref = fk.reference();
				return `${ref.columns.map((c) => c.name).join(',')}->${ref.foreignColumns.map((c) => c.name).join(',')} ${fk.onDelete ?? ''}`;
			})
			.sort()
	};
}

function tables<T>(module: Record<string, unknown>, kind: abstract new (...args: never[]) => T): T[] {
	return Object.values(module).filter((value): value is T => value instanceof kind);
}

/** Tables only PostgreSQL has (doc_owners is in both: nodes sharing one libsql file fence too). */
const PG_ONLY: string[] = [];

describe('PostgreSQL schema mirrors the libsql schema', () => {
	const liteTables = new Map(tables(lite, SQLiteTable).map((t) => [sqliteConfig(t).name, shape(sqliteConfig(t))]));
	const pgTables = new Map(tables(pg, PgTable).map((t) => [pgConfig(t).name, shape(pgConfig(t))]));

	it('has the same tables', () => {
		expect(liteTables.size).toBeGreaterThan(10);
		expect([...pgTables.keys()].filter((name) => !PG_ONLY.includes(name)).sort()).toEqual([...liteTables.keys()].sort());
	});

	it.each([...liteTables.keys()])('table %s has the same columns, keys and indexes', (name) => {
		expect(pgTables.get(name)).toEqual(liteTables.get(name));
	});
});
