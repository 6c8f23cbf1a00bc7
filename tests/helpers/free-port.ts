import net from 'node:net';

/** A TCP port that was free a moment ago on 127.0.0.1 (for servers that cannot listen on port 0). */
export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as net.AddressInfo;
			server.close(() => resolve(port));
		});
	});
}

/** Resolves once something accepts TCP connections on the port; rejects after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs: number, isDead: () => string | null): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const dead = isDead();
		if (dead) throw new Error(dead);
		const open = await new Promise<boolean>((resolve) => {
			const socket = net.connect(port, '127.0.0.1');
			socket.once('connect', () => {
				socket.destroy();
				resolve(true);
			});
			socket.once('error', () => resolve(false));
		});
		if (open) return;
		if (Date.now() > deadline) throw new Error(`nothing listened on port ${port} within ${timeoutMs} ms`);
		await new Promise((r) => setTimeout(r, 50));
	}
}

/** Waits until a process id no longer exists (signal 0 fails). */
export async function waitForExit(pid: number, timeoutMs: number): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		try {
			process.kill(pid, 0);
		} catch {
			return;
		}
		if (Date.now() > deadline) throw new Error(`process ${pid} still running after ${timeoutMs} ms`);
		await new Promise((r) => setTimeout(r, 25));
	}
}
