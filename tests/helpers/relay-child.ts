// A relay in its own process (for the SIGKILL durability test): prints "READY <port>" when listening.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSyncEndpoint } from '../../server/sync-endpoint.ts';
import { createApp } from '../../src/lib/server/app.ts';
import { readConfig } from '../../src/lib/server/config.ts';

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error('DATABASE_URL is required');
const app = await createApp({ ...readConfig(), databaseUrl }, { log: () => {} });
const endpoint = createSyncEndpoint(app, { origin: null });
const server = http.createServer((_req, res) => res.writeHead(404).end());
server.on('upgrade', (req, socket, head) => endpoint.handleUpgrade(req, socket, head));
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
	console.log(`READY ${(server.address() as AddressInfo).port}`);
});
