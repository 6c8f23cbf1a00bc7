import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApp, type App } from '../../src/lib/server/app.ts';
import { readConfig } from '../../src/lib/server/config.ts';

/** A fresh app over a migrated database file in a temp dir; `cleanup` closes it and deletes the file. */
export async function createTempDatabase(): Promise<App & { cleanup: () => Promise<void> }> {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-test-'));
	const app = await createApp({ ...readConfig(), databaseUrl: `file:${path.join(dir, 't.db')}` }, { log: () => {} });
	return Object.assign(app, {
		cleanup: async () => {
			await app.close();
			fs.rmSync(dir, { recursive: true, force: true });
		}
	});
}
