// Runs the relay's group commits on a thread of its own, with its own connection to the same
// database file. The local libsql driver is synchronous under its promises: on the main thread
// every commit (and its fsync) stalled fan-out and acknowledgements for every client. Plain JS so
// that it loads the same way under tsx, Vite and Vitest.
import { parentPort, workerData } from 'node:worker_threads';
import { createClient } from '@libsql/client';

const client = createClient({ url: workerData.url });
const ready = (async () => {
	await client.execute('PRAGMA journal_mode = WAL');
	await client.execute('PRAGMA busy_timeout = 5000');
	await client.execute('PRAGMA synchronous = FULL');
})();

const INSERT_UPDATE = 'INSERT INTO doc_updates (doc, "update", user_id, created_at) VALUES (?, ?, ?, ?)';
const INSERT_BINDING = 'INSERT OR IGNORE INTO doc_clients (doc, client_id, user_id) VALUES (?, ?, ?)';

parentPort.on('message', async ({ id, rows }) => {
	try {
		await ready;
		const now = Date.now();
		const statements = [];
		for (const row of rows) {
			statements.push({ sql: INSERT_UPDATE, args: [row.doc, row.update, row.userId, now] });
			for (const [clientId, userId] of row.newBindings) statements.push({ sql: INSERT_BINDING, args: [row.doc, clientId, userId] });
		}
		// one transaction: either every row of the batch is stored or none is
		await client.batch(statements, 'write');
		parentPort.postMessage({ id, ok: true });
	} catch (error) {
		parentPort.postMessage({ id, ok: false, error: String(error?.message ?? error) });
	}
});
