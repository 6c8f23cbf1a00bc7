// The owner of a document dies (SIGKILL, a node in its own process) while clients on it and on a
// second node write: the second node takes the document over once the dead node's lease runs
// out, its client's writes go on being acknowledged, the dead node's client resends what was not
// acknowledged to the surviving node, and no acknowledged write is lost. One database file, one
// real Redis, REDIS_URL set on both nodes. And an owner paused (SIGSTOP) past its lease and
// resumed: the other node has taken over; what the resumed node was sent meanwhile is refused by
// the fence on its stale claim (nack server-error, seen in practice) or forwarded, and once resent
// reaches the new owner; every acknowledged write is stored.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { MessageType, writeWrite, type Frame } from '../../src/lib/shared/protocol.ts';
import { open, setUp, startRelay, RawClient, type TestRelay } from '../relay/fixture.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { chatMessage, createWriter } from '../helpers/ydoc.ts';
import { killAll, startRelayProcess } from '../helpers/relay-process.ts';

const startNode = () => startRelayProcess({ databaseUrl: survivor.databaseUrl, redisUrl: redis.url });

let redis: TestRedis;
let dir: string;
let survivor: TestRelay;

beforeAll(async () => {
	redis = await startRedis();
	dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-takeover-'));
	survivor = await startRelay({ dir, redisUrl: redis.url, keepDir: true });
}, 60_000);

afterAll(async () => {
	killAll();
	await survivor?.close();
	await redis?.stop();
	if (dir) fs.rmSync(dir, { recursive: true, force: true });
}, 60_000);

let writeId = 0;

function answerOf(client: RawClient, doc: string, id: number, timeoutMs: number, from: number): Promise<Frame> {
	return client.waitFor((f) => (f.type === MessageType.Ack || f.type === MessageType.Nack) && f.doc === doc && f.writeId === id, timeoutMs, from);
}

describe('the owner node is killed (SIGKILL)', () => {
	it('the surviving node takes over: its clients keep writing and no acknowledged write is lost', async () => {
		const s = await setUp(survivor, { members: ['Alice', 'Bob'] });
		const doomed = await startNode();
		const alice = await RawClient.connect(doomed.wsUrl, { Cookie: s.people.Alice.cookie, Origin: doomed.origin });
		// Alice opens first, on the doomed node: it owns the chat
		expect((await open(alice, s.docs.chat)).role).toBe('member');
		const bob = await survivor.connect(s.people.Bob.cookie);
		expect((await open(bob, s.docs.chat)).role).toBe('member');

		const aliceWriter = createWriter(8100);
		const bobWriter = createWriter(8200);
		const acked = new Set<string>();
		// Alice's writes, by id: the bytes she would resend after reconnecting
		const aliceSent: Array<{ id: number; key: string; update: Uint8Array }> = [];
		const aliceSays = (n: number) => {
			const record = chatMessage(s.people.Alice.id, `a${n}`, `Alice ${n}`);
			aliceWriter.doc.getMap('messages').set(record.id, record);
			const sent = { id: ++writeId, key: record.id, update: aliceWriter.take() };
			aliceSent.push(sent);
			alice.send(writeWrite(s.docs.chat, sent.id, sent.update));
			return sent;
		};
		const bobSays = async (n: number) => {
			const record = chatMessage(s.people.Bob.id, `b${n}`, `Bob ${n}`);
			bobWriter.doc.getMap('messages').set(record.id, record);
			const id = ++writeId;
			const from = bob.frames.length;
			bob.send(writeWrite(s.docs.chat, id, bobWriter.take()));
			// long enough for the dead owner's lease to run out and the takeover to happen
			const answer = await answerOf(bob, s.docs.chat, id, 30_000, from);
			expect(answer.type).toBe(MessageType.Ack);
			acked.add(record.id);
		};

		// both write while the owner is alive (Bob's writes are forwarded to it)
		for (let n = 0; n < 5; n++) {
			const sent = aliceSays(n);
			expect((await answerOf(alice, s.docs.chat, sent.id, 5000, 0)).type).toBe(MessageType.Ack);
			acked.add(sent.key);
			await bobSays(n);
		}
		// a burst from Alice, and the owner is killed while it is in flight
		for (let n = 5; n < 25; n++) aliceSays(n);
		doomed.child.kill('SIGKILL');
		await alice.closed(5000);
		for (const frame of alice.frames) {
			if (frame.type !== MessageType.Ack) continue;
			const sent = aliceSent.find((w) => w.id === frame.writeId);
			if (sent) acked.add(sent.key);
		}
		// Bob keeps writing on the surviving node: every write is acknowledged, after the takeover
		for (let n = 5; n < 10; n++) await bobSays(n);

		// Alice's client reconnects to the surviving node and resends what was not acknowledged
		const back = await survivor.connect(s.people.Alice.cookie);
		await open(back, s.docs.chat);
		const ackedIds = new Set(alice.frames.flatMap((f) => (f.type === MessageType.Ack ? [f.writeId] : [])));
		for (const sent of aliceSent.filter((w) => !ackedIds.has(w.id))) {
			const from = back.frames.length;
			back.send(writeWrite(s.docs.chat, sent.id, sent.update));
			expect((await answerOf(back, s.docs.chat, sent.id, 10_000, from)).type).toBe(MessageType.Ack);
			acked.add(sent.key);
		}

		const late = await survivor.connect(s.people.Bob.cookie);
		const { state } = await open(late, s.docs.chat);
		const ydoc = new Y.Doc();
		Y.applyUpdate(ydoc, state!);
		const stored = new Set(ydoc.getMap('messages').keys());
		expect([...acked].filter((key) => !stored.has(key))).toEqual([]);
		expect(acked.size).toBe(35);
	}, 90_000);

	it('an owner paused past its lease and resumed: its writes reach the new owner (refused on the stale claim, resent), every acked write is stored', async () => {
		const s = await setUp(survivor, { members: ['Alice', 'Bob'] });
		const paused = await startNode();
		const alice = await RawClient.connect(paused.wsUrl, { Cookie: s.people.Alice.cookie, Origin: paused.origin });
		expect((await open(alice, s.docs.chat)).role).toBe('member');
		const bob = await survivor.connect(s.people.Bob.cookie);
		await open(bob, s.docs.chat);
		const aliceWriter = createWriter(8300);
		const bobWriter = createWriter(8400);
		const acked = new Set<string>();
		const say = (client: RawClient, writer: ReturnType<typeof createWriter>, userId: string, key: string) => {
			const record = chatMessage(userId, key, key);
			writer.doc.getMap('messages').set(record.id, record);
			const id = ++writeId;
			const update = writer.take();
			const from = client.frames.length;
			client.send(writeWrite(s.docs.chat, id, update));
			return { id, key: record.id, update, answer: () => answerOf(client, s.docs.chat, id, 30_000, from) };
		};
		const pausedWrites: Array<{ key: string; update: Uint8Array }> = [];
		const first = say(alice, aliceWriter, s.people.Alice.id, 'a0');
		expect((await first.answer()).type).toBe(MessageType.Ack);
		acked.add(first.key);

		paused.child.kill('SIGSTOP');
		try {
			// sent to the paused owner: it cannot answer yet
			const during = [1, 2, 3].map((n) => say(alice, aliceWriter, s.people.Alice.id, `a${n}`));
			pausedWrites.push(...during);
			// Bob's write waits until the paused node's lease has run out, then the survivor takes over
			const bobs = say(bob, bobWriter, s.people.Bob.id, 'b0');
			expect((await bobs.answer()).type).toBe(MessageType.Ack);
			acked.add(bobs.key);
			paused.child.kill('SIGCONT');
			// the resumed node's claim is stale: what it was sent while paused is not acked on it; its
			// client resends each until acked (by then through the new owner)
			for (const sent of during) {
				let answer = await sent.answer();
				let tries = 0;
				while (answer.type === MessageType.Nack && answer.reason === 'server-error' && tries++ < 20) {
					const from = alice.frames.length;
					alice.send(writeWrite(s.docs.chat, sent.id, sent.update));
					answer = await answerOf(alice, s.docs.chat, sent.id, 30_000, from);
				}
				expect(answer.type).toBe(MessageType.Ack);
				acked.add(sent.key);
			}
		} finally {
			paused.child.kill('SIGCONT');
		}
		const later = say(alice, aliceWriter, s.people.Alice.id, 'a4');
		expect((await later.answer()).type).toBe(MessageType.Ack);
		acked.add(later.key);
		// only the latest claim committed, and everything acked is there
		const owner = await survivor.database.client.execute({ sql: 'SELECT token, node_id FROM doc_owners WHERE doc = ?', args: [s.docs.chat] });
		expect(Number(owner.rows[0].token)).toBeGreaterThanOrEqual(2);
		const late = await survivor.connect(s.people.Bob.cookie);
		const { state } = await open(late, s.docs.chat);
		const ydoc = new Y.Doc();
		Y.applyUpdate(ydoc, state!);
		expect([...acked].filter((key) => !ydoc.getMap('messages').has(key))).toEqual([]);
		expect(acked.size).toBe(6);
		// fencing: had the resumed node committed on its stale claim, the new owner (which loaded the
		// document before that commit) would store the resent write again, in a second row
		const rows = await survivor.database.client.execute({ sql: 'SELECT "update" FROM doc_updates WHERE doc = ?', args: [s.docs.chat] });
		const stored = rows.rows.map((r) => Buffer.from(r.update as ArrayBuffer));
		for (const sent of pausedWrites) {
			expect(stored.filter((bytes) => bytes.equals(Buffer.from(sent.update))).length, `rows holding ${sent.key}`).toBe(1);
		}
		paused.child.kill('SIGKILL');
	}, 90_000);
});
