// A real relay on port 0 over a real database file in a temp dir, plus raw protocol clients.
// Used by the sync integration tests; nothing here mocks Parley's own parts.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { createApp, type App, type AppOptions } from '../../src/lib/server/app.ts';
import { readConfig } from '../../src/lib/server/config.ts';
import { conversationParticipants, conversations, memberships, organizations, users } from '../../src/lib/server/db/schema.ts';
import { SESSION_COOKIE, createSession, generateSessionToken } from '../../src/lib/server/auth/session.ts';
import type { OrgRole } from '../../src/lib/shared/policy.ts';
import { createSyncEndpoint, type SyncEndpoint } from '../../server/sync-endpoint.ts';
import { PROTOCOL_VERSION, readFrame, type Frame } from '../../src/lib/shared/protocol.ts';

let counter = 0;
const uid = (prefix: string) => `${prefix}${Date.now().toString(36)}${(counter++).toString(36)}`;

export interface TestRelay {
	url: string;
	wsUrl: string;
	origin: string;
	dir: string;
	databaseUrl: string;
	/** The app under test (it is also the database: db, client, url). */
	database: App;
	endpoint: SyncEndpoint;
	addUser(name: string): Promise<{ id: string; cookie: string; sessionId: string }>;
	addOrg(name: string): Promise<string>;
	addMember(orgId: string, userId: string, role?: OrgRole): Promise<void>;
	addConversation(orgId: string, opts?: { kind?: 'email' | 'channel'; subject?: string; guestsAllowed?: boolean }): Promise<string>;
	addGuest(conversationId: string, userId: string): Promise<void>;
	connect(cookie: string, opts?: { origin?: string; version?: number }): Promise<RawClient>;
	close(): Promise<void>;
}

/** Starts a relay on port 0 over a fresh database file (or `dir`'s, shared with another node; with `redisUrl`, one of several nodes). */
export async function startRelay(options: AppOptions & { dir?: string; redisUrl?: string; keepDir?: boolean } = {}): Promise<TestRelay> {
	const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'parley-relay-'));
	const databaseUrl = `file:${path.join(dir, 'parley.db')}`;
	const database = await createApp({ ...readConfig(), databaseUrl, redisUrl: options.redisUrl ?? null }, {
		limits: options.limits,
		log: options.log ?? (() => {}),
		cluster: options.cluster
	});
	const endpoint = createSyncEndpoint(database, { origin: null });
	const server = http.createServer((_req, res) => res.writeHead(404).end());
	server.on('upgrade', (req, socket, head) => endpoint.handleUpgrade(req, socket, head));
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const port = (server.address() as AddressInfo).port;
	const origin = `http://127.0.0.1:${port}`;
	const { db } = database;
	const clients: RawClient[] = [];

	return {
		url: origin,
		wsUrl: `ws://127.0.0.1:${port}/sync?v=${PROTOCOL_VERSION}`,
		origin,
		dir,
		databaseUrl,
		database,
		endpoint,
		async addUser(name) {
			const id = uid('u');
			await db.insert(users).values({ id, email: `${id}@test.example`, name, createdAt: Date.now(), emailVerifiedAt: Date.now() });
			const token = generateSessionToken();
			const session = await createSession(db, token, id);
			return { id, cookie: `${SESSION_COOKIE}=${token}`, sessionId: session.id };
		},
		async addOrg(name) {
			const id = uid('o');
			await db.insert(organizations).values({ id, name, createdAt: Date.now() });
			return id;
		},
		async addMember(orgId, userId, role = 'member') {
			await db.insert(memberships).values({ orgId, userId, role, createdAt: Date.now() });
		},
		async addConversation(orgId, opts = {}) {
			const id = uid('c');
			const now = Date.now();
			await db.insert(conversations).values({
				id,
				orgId,
				subject: opts.subject ?? 'Test conversation',
				kind: opts.kind ?? 'email',
				guestsAllowed: opts.guestsAllowed ?? true,
				createdAt: now,
				lastActivityAt: now
			});
			return id;
		},
		async addGuest(conversationId, userId) {
			await db.insert(conversationParticipants).values({ conversationId, userId, role: 'guest', addedAt: Date.now() });
		},
		async connect(cookie, opts = {}) {
			const url = `ws://127.0.0.1:${port}/sync?v=${opts.version ?? PROTOCOL_VERSION}`;
			const client = await RawClient.connect(url, { Cookie: cookie, Origin: opts.origin ?? origin });
			clients.push(client);
			return client;
		},
		async close() {
			for (const client of clients) client.close();
			await endpoint.close();
			await new Promise<void>((resolve) => server.close(() => resolve()));
			await database.close();
			// a node of several over one file leaves it to the others (the test removes it)
			if (!options.keepDir) fs.rmSync(dir, { recursive: true, force: true });
		}
	};
}

/** A minimal protocol client: sends raw frames, records every frame it receives. */
export class RawClient {
	readonly ws: WebSocket;
	readonly frames: Frame[] = [];
	readonly raw: Uint8Array[] = [];
	closeCode: number | null = null;
	#waiters = new Set<() => void>();

	private constructor(ws: WebSocket) {
		this.ws = ws;
		ws.on('message', (data: Buffer) => {
			const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
			this.raw.push(bytes);
			const frame = readFrame(bytes);
			if (frame) this.frames.push(frame);
			for (const wake of this.#waiters) wake();
		});
		ws.on('close', (code) => {
			this.closeCode = code;
			for (const wake of this.#waiters) wake();
		});
	}

	static connect(url: string, headers: Record<string, string>): Promise<RawClient> {
		return new Promise((resolve, reject) => {
			const ws = new WebSocket(url, { headers });
			const client = new RawClient(ws);
			ws.once('open', () => resolve(client));
			ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
			ws.once('error', reject);
		});
	}

	send(bytes: Uint8Array | string): void {
		this.ws.send(bytes);
	}

	/** Resolves with the first received frame (from index `from`) matching `match`. */
	waitFor<T extends Frame>(match: (frame: Frame) => frame is T, timeoutMs?: number, from?: number): Promise<T>;
	waitFor(match: (frame: Frame) => boolean, timeoutMs?: number, from?: number): Promise<Frame>;
	waitFor(match: (frame: Frame) => boolean, timeoutMs = 5000, from = 0): Promise<Frame> {
		return new Promise((resolve, reject) => {
			const check = () => {
				const found = this.frames.slice(from).find(match);
				if (found) {
					cleanup();
					resolve(found);
				} else if (this.closeCode !== null) {
					cleanup();
					reject(new Error(`socket closed (${this.closeCode}) before the frame arrived`));
				}
			};
			const timer = setTimeout(() => {
				cleanup();
				reject(new Error('timed out waiting for a frame'));
			}, timeoutMs);
			const cleanup = () => {
				clearTimeout(timer);
				this.#waiters.delete(check);
			};
			this.#waiters.add(check);
			check();
		});
	}

	/** Resolves when the socket has closed, with the close code. */
	closed(timeoutMs = 5000): Promise<number> {
		return new Promise((resolve, reject) => {
			if (this.closeCode !== null) return resolve(this.closeCode);
			const timer = setTimeout(() => reject(new Error('socket did not close')), timeoutMs);
			this.ws.once('close', (code) => {
				clearTimeout(timer);
				resolve(code);
			});
		});
	}

	close(): void {
		if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
	}
}
