// Our relay in its own process for the benchmark: the same endpoint the app mounts (session
// upgrade, per-document authorization, validation, durable acks), over DATABASE_URL, on port 0.
// Prints "READY <port>". GET /stats answers the heap after a forced GC (start with --expose-gc).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSyncEndpoint } from '../server/sync-endpoint.ts';
import { createApp } from '../src/lib/server/app.ts';
import { readConfig } from '../src/lib/server/config.ts';
import { memoryStats } from './stats.ts';

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error('DATABASE_URL is required');
// the bench measures the server, not the per-client limits: sockets per session are not capped here
const limits = { maxSocketsPerSession: 1e9, ...(process.env.BENCH_NO_COMPACT ? { compactAfterRows: 1e9 } : {}) };
const app = await createApp({ ...readConfig(), databaseUrl }, { log: () => {}, limits });
const endpoint = createSyncEndpoint(app, { origin: null });
const server = http.createServer((req, res) => {
	if (req.url === '/cpu') {
		res.writeHead(200, { 'Content-Type': 'application/json' });
		res.end(JSON.stringify(process.cpuUsage()));
		return;
	}
	if (req.url === '/stats') {
		res.writeHead(200, { 'Content-Type': 'application/json' });
		res.end(JSON.stringify({ ...memoryStats(), ...endpoint.relay.stats() }));
		return;
	}
	res.writeHead(404).end();
});
server.on('upgrade', (req, socket, head) => endpoint.handleUpgrade(req, socket, head));
server.listen(0, '127.0.0.1', () => console.log(`READY ${(server.address() as AddressInfo).port}`));

// a clean exit (so --cpu-prof writes its profile); acknowledged writes are already stored
process.on('SIGTERM', () => {
	void endpoint.close().finally(() => process.exit(0));
	setTimeout(() => process.exit(0), 3000).unref();
});
