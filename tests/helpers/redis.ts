// A real redis-server (Debian's) for a test: its own temp dir, a free port, no persistence.
// Stopped by PID; `restart` brings it back on the same port (a Redis restart loses its data,
// exactly as a real one without persistence does).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitForExit, waitForPort } from './free-port.ts';

const REDIS_SERVER = process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server';

export interface TestRedis {
	url: string;
	port: number;
	/** PID of the running redis-server (changes on restart). */
	pid(): number;
	/** Stops it (SIGTERM, by PID) and starts it again on the same port, empty. */
	restart(): Promise<void>;
	/** Stops it (by PID) and removes its temp dir. */
	stop(): Promise<void>;
}

export async function startRedis(): Promise<TestRedis> {
	if (!fs.existsSync(REDIS_SERVER)) throw new Error(`${REDIS_SERVER} is missing: install Debian's redis-server`);
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-redis-'));
	const port = await freePort();
	let child: ChildProcess | null = null;
	let output = '';

	async function launch(): Promise<void> {
		output = '';
		const proc = spawn(
			REDIS_SERVER,
			['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
			{ stdio: ['ignore', 'pipe', 'pipe'] }
		);
		proc.stdout!.on('data', (d) => (output += d));
		proc.stderr!.on('data', (d) => (output += d));
		child = proc;
		await waitForPort(port, 10_000, () =>
			proc.exitCode !== null || proc.signalCode !== null ? `redis-server exited early:\n${output}` : null
		);
	}

	async function halt(): Promise<void> {
		const proc = child;
		child = null;
		if (!proc?.pid || proc.exitCode !== null || proc.signalCode !== null) return;
		process.kill(proc.pid, 'SIGTERM');
		await waitForExit(proc.pid, 10_000);
	}

	await launch();
	return {
		url: `redis://127.0.0.1:${port}`,
		port,
		pid: () => {
			if (!child?.pid) throw new Error('redis-server is not running');
			return child.pid;
		},
		restart: async () => {
			await halt();
			await launch();
		},
		stop: async () => {
			await halt();
			fs.rmSync(dir, { recursive: true, force: true });
		}
	};
}
