import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { openDatabase } from '../../src/lib/server/db/index.ts';
import { conversations, memberships, organizations, users } from '../../src/lib/server/db/schema.ts';
import { SESSION_COOKIE, createSession, generateSessionToken } from '../../src/lib/server/auth/session.ts';
import { MessageType, SyncType, writeSyncStep1, writeWrite, type Frame } from '../../src/lib/shared/protocol.ts';
import { RawClient } from '../helpers/relay.ts';
import { chatMessage, createWriter } from '../helpers/ydoc.ts';
import { killAll, startRelayProcess } from '../helpers/relay-process.ts';

// The relay as a child process, killed with SIGKILL during a write burst and restarted on the
// same database file: every acknowledged update must be there.

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-durable-'));
const databaseUrl = `file:${path.join(dir, 'parley.db')}`;
afterAll(() => {
	killAll();
	fs.rmSync(dir, { recursive: true, force: true });
});

const startChild = () => startRelayProcess({ databaseUrl });

describe('durability', () => {
	it('keeps every acknowledged update across a SIGKILL', async () => {
		const seeding = await openDatabase(databaseUrl);
		const { db } = seeding;
		const now = Date.now();
		await db.insert(users).values({ id: 'alice', email: 'alice@test.example', name: 'Alice', createdAt: now });
		await db.insert(organizations).values({ id: 'acme', name: 'Acme', createdAt: now });
		await db.insert(memberships).values({ orgId: 'acme', userId: 'alice', role: 'owner', createdAt: now });
		await db.insert(conversations).values({ id: 'c1', orgId: 'acme', subject: 'S', kind: 'channel', createdAt: now, lastActivityAt: now });
		const token = generateSessionToken();
		await createSession(db, token, 'alice');
		seeding.client.close();
		const cookie = `${SESSION_COOKIE}=${token}`;
		const doc = 'c/c1/chat';

		const first = await startChild();
		const origin = `http://127.0.0.1:${first.port}`;
		const client = await RawClient.connect(`ws://127.0.0.1:${first.port}/sync?v=1`, { Cookie: cookie, Origin: origin });
		client.send(writeSyncStep1(doc, new Uint8Array([0])));
		await client.waitFor((f) => f.type === MessageType.Sync && f.syncType === SyncType.Step2);

		const writer = createWriter(4242);
		const messages = writer.doc.getMap('messages');
		const acked = new Set<number>();
		const keyOf = new Map<number, string>();
		client.ws.on('message', () => {
			for (const f of client.frames as Frame[]) if (f.type === MessageType.Ack) acked.add(f.writeId);
		});
		// a burst of writes; kill the relay while acknowledgements are still arriving
		let writeId = 0;
		const burst = setInterval(() => {
			for (let i = 0; i < 20 && writeId < 2000; i++) {
				writeId++;
				const record = chatMessage('alice', `m${writeId}`, `message ${writeId}`);
				messages.set(record.id, record);
				keyOf.set(writeId, record.id);
				client.send(writeWrite(doc, writeId, writer.take()));
			}
		}, 2);
		await new Promise<void>((resolve) => {
			const check = setInterval(() => {
				if (acked.size >= 200) {
					clearInterval(check);
					resolve();
				}
			}, 1);
		});
		first.child.kill('SIGKILL');
		clearInterval(burst);
		await new Promise((resolve) => first.child.once('exit', resolve));
		const ackedIds = [...acked];
		expect(ackedIds.length).toBeGreaterThanOrEqual(200);

		const second = await startChild();
		const reader = await RawClient.connect(`ws://127.0.0.1:${second.port}/sync?v=1`, {
			Cookie: cookie,
			Origin: `http://127.0.0.1:${second.port}`
		});
		reader.send(writeSyncStep1(doc, new Uint8Array([0])));
		const step2 = (await reader.waitFor((f) => f.type === MessageType.Sync && f.syncType === SyncType.Step2)) as Extract<Frame, { type: 0 }>;
		const restored = new Y.Doc();
		Y.applyUpdate(restored, step2.data);
		const stored = restored.getMap('messages');
		const missing = ackedIds.filter((id) => !stored.has(keyOf.get(id)!));
		expect(missing).toEqual([]);
		reader.close();
		second.child.kill('SIGKILL');
	}, 60_000);
});
