// Production entry: one process serves the SvelteKit app (adapter-node's handler) and owns the
// HTTP upgrade for /sync, where the relay lives.
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { readConfig } from '../src/lib/server/config.ts';
import { getDatabase } from '../src/lib/server/db/index.ts';
import { seedDemoDocuments, seedDemoIfEmpty } from '../src/lib/server/seed.ts';
import { getSyncEndpoint } from './sync-endpoint.ts';

const config = readConfig();
const database = await getDatabase(config.databaseUrl);
// the relay first: seeding writes the demo documents through it
const endpoint = await getSyncEndpoint(config.databaseUrl);
const seeded = config.seedDemo ? await seedDemoIfEmpty(database.db) : null;
if (seeded) await seedDemoDocuments(database);

// The build output is plain JS made by `vite build`; imported by path so the type check does not need it.
const handlerUrl = pathToFileURL(path.resolve(process.env.PARLEY_BUILD_DIR ?? 'build', 'handler.js')).href;
const { handler } = (await import(handlerUrl)) as { handler: http.RequestListener };

const server = http.createServer(handler);
server.on('upgrade', (req, socket, head) => {
	const pathname = (req.url ?? '').split('?')[0];
	if (pathname === '/sync') endpoint.handleUpgrade(req, socket, head);
	else socket.destroy();
});

server.listen(config.port, config.host, () => {
	const address = server.address();
	const port = typeof address === 'object' && address ? address.port : config.port;
	const base = config.origin ?? `http://localhost:${port}`;
	console.log(`Parley listening on ${base}`);
	if (seeded) {
		console.log('Demo data seeded. Sign in with:');
		for (const line of seeded) console.log(`  ${line}`);
	}
	if (!config.smtpUrl) console.log(`No SMTP_URL set: emails go to the local outbox at ${base}/dev/mail`);
});

async function shutdown() {
	await endpoint.close();
	server.close();
	process.exit(0);
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
