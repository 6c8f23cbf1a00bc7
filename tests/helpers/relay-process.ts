// A relay node in its own process (tests/helpers/relay-child.ts), so a test can SIGKILL or SIGSTOP
// it. Every node started here is killed by `killAll` (call it in afterAll).
import { spawn, type ChildProcess } from 'node:child_process';
import { PROTOCOL_VERSION } from '../../src/lib/shared/protocol.ts';

export interface RelayProcess {
	child: ChildProcess;
	port: number;
	wsUrl: string;
	origin: string;
}

const started = new Set<ChildProcess>();

/** Starts a node over `databaseUrl` (and `redisUrl`: one of several nodes); resolves once it listens. */
export function startRelayProcess(env: { databaseUrl: string; redisUrl?: string }): Promise<RelayProcess> {
	const child = spawn(process.execPath, ['--import', 'tsx', 'tests/helpers/relay-child.ts'], {
		env: { ...process.env, DATABASE_URL: env.databaseUrl, ...(env.redisUrl ? { REDIS_URL: env.redisUrl } : {}) },
		stdio: ['ignore', 'pipe', 'inherit']
	});
	started.add(child);
	child.once('exit', () => started.delete(child));
	return new Promise((resolve, reject) => {
		let out = '';
		child.stdout!.on('data', (chunk) => {
			out += chunk;
			const match = /READY (\d+)/.exec(out);
			if (!match) return;
			const port = Number(match[1]);
			resolve({ child, port, wsUrl: `ws://127.0.0.1:${port}/sync?v=${PROTOCOL_VERSION}`, origin: `http://127.0.0.1:${port}` });
		});
		child.once('exit', (code, signal) => reject(new Error(`relay node exited before listening (${code ?? signal})`)));
	});
}

/** Kills every node still running (SIGKILL; a SIGSTOPped one too). */
export function killAll(): void {
	for (const child of started) child.kill('SIGKILL');
}

/** Resolves once the process has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
	return new Promise((resolve) => child.once('exit', () => resolve()));
}
