import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/lib/server/db/index.ts';

// @libsql/client keeps a pool: while a transaction holds one connection, other statements run on
// new ones. SQLite keeps these settings per connection, so each of them must have been given them.
async function readSettings(database: Database) {
	const read = async (pragma: string) => Number(Object.values((await database.client.execute(`PRAGMA ${pragma}`)).rows[0])[0]);
	return { busyTimeout: await read('busy_timeout'), synchronous: await read('synchronous'), foreignKeys: await read('foreign_keys') };
}

describe('every pooled database connection', () => {
	let dir = '';
	let database: Database | null = null;
	afterEach(() => {
		database?.client.close();
		database = null;
		fs.rmSync(dir, { recursive: true, force: true });
	});

	it('waits for a busy writer, syncs at NORMAL and enforces foreign keys, also on the connections opened beside open transactions', async () => {
		dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-db-'));
		database = await openDatabase(`file:${path.join(dir, 'app.db')}`);
		const expected = { busyTimeout: 5000, synchronous: 1, foreignKeys: 1 };
		expect(await readSettings(database)).toEqual(expected);

		const first = await database.client.transaction('write');
		expect(await readSettings(database)).toEqual(expected); // a second connection
		const second = await database.client.transaction('read');
		// borrowed at once, so the pool opens one connection per statement
		const reads = await Promise.all([readSettings(database), readSettings(database), readSettings(database)]);
		expect(reads).toEqual([expected, expected, expected]);
		await second.rollback();
		await first.rollback();

		const journal = await database.client.execute('PRAGMA journal_mode');
		expect(Object.values(journal.rows[0])[0]).toBe('wal');
	});

	it('uses FULL when PARLEY_DB_SYNC=full', async () => {
		dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-db-'));
		process.env.PARLEY_DB_SYNC = 'full';
		try {
			database = await openDatabase(`file:${path.join(dir, 'app.db')}`);
			const held = await database.client.transaction('write');
			expect(await readSettings(database)).toEqual({ busyTimeout: 5000, synchronous: 2, foreignKeys: 1 });
			await held.rollback();
		} finally {
			delete process.env.PARLEY_DB_SYNC;
		}
	});
});
