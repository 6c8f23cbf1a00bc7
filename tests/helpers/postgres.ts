// A real PostgreSQL 15 (Debian's) for a test: a fresh cluster in a temp dir on a free port, run
// as the unprivileged `postgres` user (initdb/pg_ctl refuse root, and the tests run as root).
// Stopped by the postmaster's PID.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitForExit, waitForPort } from './free-port.ts';

const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';
const PG_USER = process.env.PG_TEST_OS_USER ?? 'postgres';

export interface TestPostgres {
	/** postgres://… of the `parley` database (superuser `parley`, trust auth on 127.0.0.1). */
	url: string;
	port: number;
	/** PID of the postmaster. */
	pid: number;
	/** Stops it (SIGINT = fast shutdown, by PID) and removes the cluster. */
	stop(): Promise<void>;
}

/** Runs a command as the unprivileged user when we are root (as ourselves otherwise). */
function runAs(cmd: string, args: string[]): string {
	const asRoot = process.getuid?.() === 0;
	const [file, argv] = asRoot ? ['runuser', ['-u', PG_USER, '--', cmd, ...args]] : [cmd, args];
	return execFileSync(file, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export async function startPostgres(): Promise<TestPostgres> {
	if (!fs.existsSync(path.join(PG_BIN, 'initdb'))) {
		throw new Error(`${PG_BIN}/initdb is missing: install Debian's postgresql (15)`);
	}
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-pg-'));
	if (process.getuid?.() === 0) execFileSync('chown', [`${PG_USER}:`, dir]);
	const data = path.join(dir, 'data');
	const port = await freePort();
	try {
		runAs(path.join(PG_BIN, 'initdb'), ['-D', data, '-U', 'parley', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
		runAs(path.join(PG_BIN, 'pg_ctl'), [
			'-D', data, '-l', path.join(dir, 'log'), '-w', '-t', '30',
			'-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c synchronous_commit=off`,
			'start'
		]);
		await waitForPort(port, 10_000, () => null);
		runAs(path.join(PG_BIN, 'createdb'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'parley', 'parley']);
	} catch (error) {
		const log = fs.existsSync(path.join(dir, 'log')) ? fs.readFileSync(path.join(dir, 'log'), 'utf8') : '';
		await stopCluster(data);
		fs.rmSync(dir, { recursive: true, force: true });
		throw new Error(`could not start PostgreSQL: ${(error as Error).message}\n${log}`);
	}
	const pid = Number(fs.readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
	return {
		url: `postgres://parley@127.0.0.1:${port}/parley`,
		port,
		pid,
		stop: async () => {
			try {
				process.kill(pid, 'SIGINT');
			} catch {
				// already gone
			}
			await waitForExit(pid, 20_000);
			fs.rmSync(dir, { recursive: true, force: true });
		}
	};
}

async function stopCluster(data: string): Promise<void> {
	const pidFile = path.join(data, 'postmaster.pid');
	if (!fs.existsSync(pidFile)) return;
	const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
	try {
		process.kill(pid, 'SIGINT');
		await waitForExit(pid, 20_000);
	} catch {
		// already gone
	}
}
