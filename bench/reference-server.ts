// The reference server, @y/websocket-server 0.1.1, started the way its bin (src/server.js) does:
// the `ws` it depends on, `setupWSConnection` for every upgrade, the doc name from the URL path,
// persistence through YPERSISTENCE (y-leveldb) read by its utils module. We only add GET /stats
// (heap after a forced GC) and listen on port 0, printing "READY <port>". Nothing of it is copied.
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { getPersistence, setupWSConnection } from '@y/websocket-server/utils';
import { memoryStats } from './stats.ts';

// resolve `ws` from the reference package's own directory, as its bin does
const requireFromRef = createRequire(createRequire(import.meta.url).resolve('@y/websocket-server/package.json'));
const WebSocket = requireFromRef('ws');

const wss = new WebSocket.Server({ noServer: true });
wss.on('connection', setupWSConnection);
const server = http.createServer((req, res) => {
	if (req.url === '/cpu') {
		res.writeHead(200, { 'Content-Type': 'application/json' });
		res.end(JSON.stringify(process.cpuUsage()));
		return;
	}
	if (req.url === '/stats') {
		res.writeHead(200, { 'Content-Type': 'application/json' });
		res.end(JSON.stringify(memoryStats()));
		return;
	}
	res.writeHead(200, { 'Content-Type': 'text/plain' });
	res.end('okay');
});
server.on('upgrade', (request, socket, head) => {
	wss.handleUpgrade(request, socket, head, (ws: unknown) => wss.emit('connection', ws, request));
});
server.listen(0, '127.0.0.1', () => console.log(`READY ${(server.address() as AddressInfo).port}`));
// a clean shutdown, like ours: let y-leveldb finish the writes it has queued (its `tr` chain)
process.on('SIGTERM', () => {
	const provider = (getPersistence() as { provider?: { tr?: Promise<unknown> } } | null)?.provider;
	void Promise.resolve(provider?.tr).finally(() => process.exit(0));
	setTimeout(() => process.exit(0), 30_000).unref();
});
