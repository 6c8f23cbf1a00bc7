// The owning node is SIGKILLed again and again (PARLEY_SIGKILL_CYCLES, 20 by default; more from the
// command line) while two people write to one chat. Each cycle: both write, the owner's client sends
// a burst, the owner is killed mid-burst, the other node takes the document over (its client's
// write is acknowledged after the lease runs out), the killed node's client reconnects there and
// resends what was not acknowledged, and a fresh node joins for the next round. At the end every
// acknowledged write is stored exactly once, and the fencing token grew with every takeover.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { MessageType, writeWrite, type Frame } from '../../src/lib/shared/protocol.ts';
import { open, setUp, startRelay, RawClient, type TestRelay } from '../relay/fixture.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { exited, killAll, startRelayProcess, type RelayProcess } from '../helpers/relay-process.ts';
import { chatMessage, createWriter } from '../helpers/ydoc.ts';

const CYCLES = Number(process.env.PARLEY_SIGKILL_CYCLES) || 20;
let redis: TestRedis;
let dir: string;
// seeds people and the conversation; it never opens the chat, so it never owns it
let seeder: TestRelay;

beforeAll(async () => {
	redis = await startRedis();
	dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-sigkill-loop-'));
	seeder = await startRelay({ dir, redisUrl: redis.url, keepDir: true });
}, 60_000);

afterAll(async () => {
	killAll();
	await seeder?.close();
	await redis?.stop();
	if (dir) fs.rmSync(dir, { recursive: true, force: true });
}, 60_000);

interface Writer {
	name: 'Alice' | 'Bob';
	doc: ReturnType<typeof createWriter>;
	client: RawClient;
	/** Every write this person sent, by id: what her client resends after reconnecting. */
	sent: Map<number, { key: string; update: Uint8Array }>;
	acked: Set<number>;
}

let writeId = 0;

describe(`the owning node is SIGKILLed ${CYCLES} times`, () => {
	it('clients carry on through every takeover; every acknowledged write is stored once', async () => {
		const s = await setUp(seeder, { members: ['Alice', 'Bob'] });
		const doc = s.docs.chat;
		const connect = async (node: RelayProcess, who: Writer['name']) => {
			const client = await RawClient.connect(node.wsUrl, { Cookie: s.people[who].cookie, Origin: node.origin });
			expect((await open(client, doc)).role).toBe('member');
			return client;
		};
		const answerOf = (w: Writer, id: number, from: number): Promise<Frame> =>
			w.client.waitFor((f) => (f.type === MessageType.Ack || f.type === MessageType.Nack) && f.doc === doc && f.writeId === id, 30_000, from);
		const send = (w: Writer, id: number) => w.client.send(writeWrite(doc, id, w.sent.get(id)!.update));
		const say = (w: Writer, text: string) => {
			const record = chatMessage(s.people[w.name].id, text, text);
			w.doc.doc.getMap('messages').set(record.id, record);
			const id = ++writeId;
			w.sent.set(id, { key: record.id, update: w.doc.take() });
			send(w, id);
			return id;
		};
		/** Sends (or resends) until acknowledged; a node that lost its claim answers server-error. */
		const untilAcked = async (w: Writer, id: number, from: number) => {
			let answer = await answerOf(w, id, from);
			for (let tries = 0; answer.type === MessageType.Nack && answer.reason === 'server-error' && tries < 20; tries++) {
				const again = w.client.frames.length;
				send(w, id);
				answer = await answerOf(w, id, again);
			}
			expect(answer.type, `write ${id} of ${w.name}`).toBe(MessageType.Ack);
			w.acked.add(id);
		};
		const collectAcks = (w: Writer) => {
			for (const f of w.client.frames) if (f.type === MessageType.Ack && f.doc === doc && w.sent.has(f.writeId)) w.acked.add(f.writeId);
		};

		// `owner` holds the chat (its client opened it first); `other` forwards to it
		let owner = await startRelayProcess({ databaseUrl: seeder.databaseUrl, redisUrl: redis.url });
		let other = await startRelayProcess({ databaseUrl: seeder.databaseUrl, redisUrl: redis.url });
		const onOwner: Writer = { name: 'Alice', doc: createWriter(9100), client: await connect(owner, 'Alice'), sent: new Map(), acked: new Set() };
		const onOther: Writer = { name: 'Bob', doc: createWriter(9200), client: await connect(other, 'Bob'), sent: new Map(), acked: new Set() };
		const tokens: number[] = [];

		for (let cycle = 0; cycle < CYCLES; cycle++) {
			// the next node starts while this cycle runs: it takes the place of the one killed
			const next = startRelayProcess({ databaseUrl: seeder.databaseUrl, redisUrl: redis.url });
			for (const w of [onOwner, onOther]) {
				const from = w.client.frames.length;
				await untilAcked(w, say(w, `${w.name}-${cycle}-steady`), from);
			}
			for (let n = 0; n < 5; n++) say(onOwner, `${onOwner.name}-${cycle}-burst-${n}`);
			owner.child.kill('SIGKILL');
			await exited(owner.child);
			await onOwner.client.closed(5000);
			collectAcks(onOwner);

			// the other node takes over once the dead owner's lease runs out
			const from = onOther.client.frames.length;
			await untilAcked(onOther, say(onOther, `${onOther.name}-${cycle}-after`), from);
			const row = await seeder.database.client.execute({ sql: 'SELECT token FROM doc_owners WHERE doc = ?', args: [doc] });
			tokens.push(Number(row.rows[0].token));

			// the killed node's client reconnects to the new owner and resends what was not acknowledged
			onOwner.client = await connect(other, onOwner.name);
			for (const id of [...onOwner.sent.keys()].filter((id) => !onOwner.acked.has(id))) {
				const at = onOwner.client.frames.length;
				send(onOwner, id);
				await untilAcked(onOwner, id, at);
			}
			// Alice stays on the new owner (killed next cycle); Bob moves to the fresh node
			const fresh = await next;
			onOther.client.close();
			onOther.client = await connect(fresh, onOther.name);
			[owner, other] = [other, fresh];
		}

		// every takeover fenced the one before it: the token grew each cycle
		for (let i = 1; i < tokens.length; i++) expect(tokens[i], `token after cycle ${i}`).toBeGreaterThan(tokens[i - 1]);
		const reader = await connect(other, 'Bob');
		const { state } = await open(reader, doc);
		const ydoc = new Y.Doc();
		Y.applyUpdate(ydoc, state!);
		const stored = ydoc.getMap('messages');
		const ackedKeys = [onOwner, onOther].flatMap((w) => [...w.acked].map((id) => w.sent.get(id)!.key));
		expect(ackedKeys.filter((key) => !stored.has(key))).toEqual([]);
		// nothing applied twice or invented: exactly the writes sent, each once
		const sentKeys = new Set([onOwner, onOther].flatMap((w) => [...w.sent.values()].map((v) => v.key)));
		expect(stored.size).toBe(sentKeys.size);
		expect(ackedKeys.length).toBe(sentKeys.size);
	}, CYCLES * 30_000 + 60_000);
});
