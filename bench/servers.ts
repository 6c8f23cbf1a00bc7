// Starting the two servers as child processes, reading their memory, and preparing our database
// (users, sessions, an organization, conversations) before our relay starts.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../src/lib/server/db/index.ts';
import { conversations, memberships, organizations, sessions, users } from '../src/lib/server/db/schema.ts';
import { SESSION_COOKIE, SESSION_LIFETIME, generateSessionToken, hashToken } from '../src/lib/server/auth/session.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '..');

export type ServerKind = 'ours' | 'ref';

export interface ServerProcess {
	kind: ServerKind;
	port: number;
	child: ChildProcess;
	stats(): Promise<{ heapUsed: number; rss: number }>;
	/** The server process's CPU time so far (user + system), µs. */
	cpu(): Promise<number>;
	stop(): Promise<void>;
}

export interface StartOptions {
	/** ours: the database file URL */
	databaseUrl?: string;
	/** ref: the y-leveldb directory (YPERSISTENCE) */
	persistenceDir?: string;
	/** extra node flags, e.g. --cpu-prof */
	nodeFlags?: string[];
}

/** Every child this process started, so a killed bench leaves no server running (and skewing the next). */
export const children = new Set<ChildProcess>();

export function killChildren(): void {
	for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
}

export function startServer(kind: ServerKind, options: StartOptions = {}): Promise<ServerProcess> {
	const script = path.join(here, kind === 'ours' ? 'relay-server.ts' : 'reference-server.ts');
	const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production' };
	if (options.databaseUrl) env.DATABASE_URL = options.databaseUrl;
	if (options.persistenceDir) env.YPERSISTENCE = options.persistenceDir;
	else delete env.YPERSISTENCE;
	const child = spawn(process.execPath, ['--expose-gc', ...(options.nodeFlags ?? []), '--import', 'tsx', script], {
		cwd: root,
		env,
		stdio: ['ignore', 'pipe', 'inherit']
	});
	children.add(child);
	child.once('exit', () => children.delete(child));
	return new Promise((resolve, reject) => {
		let out = '';
		const onExit = (code: number | null) => reject(new Error(`${kind} server exited early (${code})`));
		child.once('exit', onExit);
		child.stdout!.on('data', (chunk) => {
			if (out === null) return;
			out += chunk;
			const match = /READY (\d+)/.exec(out);
			if (!match) return;
			child.off('exit', onExit);
			const port = Number(match[1]);
			resolve({
				kind,
				port,
				child,
				async stats() {
					const res = await fetch(`http://127.0.0.1:${port}/stats`);
					return (await res.json()) as { heapUsed: number; rss: number };
				},
				async cpu() {
					const res = await fetch(`http://127.0.0.1:${port}/cpu`);
					const { user, system } = (await res.json()) as { user: number; system: number };
					return user + system;
				},
				stop() {
					return new Promise<void>((done) => {
						if (child.exitCode !== null) return done();
						child.once('exit', () => done());
						child.kill('SIGTERM');
						setTimeout(() => child.kill('SIGKILL'), 40_000).unref();
					});
				}
			});
		});
		child.stdout!.resume();
	});
}

export interface BenchUser {
	id: string;
	cookie: string;
}

/** Creates `userCount` members (with sessions) of one organization and `conversationCount` channels. */
export async function prepareDatabase(
	databaseUrl: string,
	userCount: number,
	conversationCount: number
): Promise<{ users: BenchUser[]; conversations: string[] }> {
	const { db, client } = await openDatabase(databaseUrl);
	const now = Date.now();
	await db.insert(organizations).values({ id: 'benchorg', name: 'Bench', createdAt: now });
	const made: BenchUser[] = [];
	const userRows = [];
	const sessionRows = [];
	const memberRows = [];
	for (let i = 0; i < userCount; i++) {
		const id = `bu${i}`;
		const token = generateSessionToken();
		userRows.push({ id, email: `${id}@bench.example`, name: `User ${i}`, createdAt: now, emailVerifiedAt: now });
		sessionRows.push({ id: hashToken(token), userId: id, expiresAt: now + SESSION_LIFETIME, currentOrgId: null, createdAt: now });
		memberRows.push({ orgId: 'benchorg', userId: id, role: 'member' as const, createdAt: now });
		made.push({ id, cookie: `${SESSION_COOKIE}=${token}` });
	}
	for (let i = 0; i < userCount; i += 200) {
		await db.insert(users).values(userRows.slice(i, i + 200));
		await db.insert(sessions).values(sessionRows.slice(i, i + 200));
		await db.insert(memberships).values(memberRows.slice(i, i + 200));
	}
	const convIds: string[] = [];
	const convRows = [];
	for (let i = 0; i < conversationCount; i++) {
		const id = `bc${i}`;
		convIds.push(id);
		convRows.push({ id, orgId: 'benchorg', subject: `Bench ${i}`, kind: 'channel' as const, guestsAllowed: false, createdAt: now, lastActivityAt: now });
	}
	for (let i = 0; i < convRows.length; i += 200) await db.insert(conversations).values(convRows.slice(i, i + 200));
	client.close();
	return { users: made, conversations: convIds };
}
