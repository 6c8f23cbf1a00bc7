import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { closeDatabase, getDatabase, type Database } from '../../src/lib/server/db/index.ts';

/** A fresh migrated database file in a temp dir; `cleanup` closes and deletes it. */
export async function createTempDatabase(): Promise<Database & { cleanup: () => Promise<void> }> {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-test-'));
	const url = `file:${path.join(dir, 't.db')}`;
	const database = await getDatabase(url);
	return {
		...database,
		cleanup: async () => {
			await closeDatabase(url);
			fs.rmSync(dir, { recursive: true, force: true });
		}
	};
}
