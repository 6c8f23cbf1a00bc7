// Three relay nodes over one database file and one real Redis (REDIS_URL set), each a real app on
// port 0 with real sockets: clients spread over the nodes chat and edit tasks live and converge
// with every acknowledged write present, whichever node owns the document; internal-lane
// canaries written on any node never reach a guest socket on any node.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as Y from 'yjs';
import { MessageType, writeWrite, type Frame } from '../../src/lib/shared/protocol.ts';
import { orgDoc, OrgLane } from '../../src/lib/shared/doc-names.ts';
import { open, setUp, startRelay, until, type RawClient, type TestRelay } from '../relay/fixture.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { applyRemote, chatMessage, createWriter } from '../helpers/ydoc.ts';

let redis: TestRedis;
let dir: string;
let nodes: TestRelay[] = [];

beforeAll(async () => {
	redis = await startRedis();
	dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-relay-nodes-'));
	for (let i = 0; i < 3; i++) nodes.push(await startRelay({ dir, redisUrl: redis.url, keepDir: true }));
}, 60_000);

afterAll(async () => {
	for (const node of nodes.reverse()) await node.close();
	nodes = [];
	await redis?.stop();
	if (dir) fs.rmSync(dir, { recursive: true, force: true });
}, 60_000);

let writeId = 0;
/** What each client wrote itself (the relay does not echo a write to its only author). */
const written = new Map<RawClient, Array<{ doc: string; update: Uint8Array }>>();

/** Sends a write and resolves with its answer (ack or nack), waiting as long as a takeover may take. */
export async function send(client: RawClient, doc: string, update: Uint8Array, timeoutMs = 20_000): Promise<Frame> {
	const id = ++writeId;
	if (!written.has(client)) written.set(client, []);
	written.get(client)!.push({ doc, update });
	const from = client.frames.length;
	client.send(writeWrite(doc, id, update));
	return client.waitFor((f) => (f.type === MessageType.Ack || f.type === MessageType.Nack) && f.doc === doc && f.writeId === id, timeoutMs, from);
}

/** A client's copy of a document: its own writes and every sync frame it received. */
export function replicaOf(client: RawClient, doc: string): Y.Doc {
	const ydoc = new Y.Doc();
	for (const w of written.get(client) ?? []) if (w.doc === doc) applyRemote(ydoc, w.update);
	for (const frame of client.frames) if (frame.type === MessageType.Sync && frame.doc === doc) applyRemote(ydoc, frame.data);
	return ydoc;
}

const keys = (ydoc: Y.Doc, root: string) => [...ydoc.getMap(root).keys()].sort();

describe('three nodes serve one conversation (REDIS_URL set)', () => {
	it('clients on three nodes chat and edit tasks live; all converge with every acked write', async () => {
		const s = await setUp(nodes[0], { members: ['Alice', 'Bob', 'Carol'] });
		const people = ['Alice', 'Bob', 'Carol'];
		const clients = await Promise.all(people.map((name, i) => nodes[i].connect(s.people[name].cookie)));
		for (const client of clients) {
			expect((await open(client, s.docs.chat)).role).toBe('member');
			expect((await open(client, s.docs.tasks)).role).toBe('member');
		}
		const acked = { messages: [] as string[], tasks: [] as string[] };
		const rounds = 5;
		await Promise.all(
			clients.map(async (client, i) => {
				const userId = s.people[people[i]].id;
				const chat = createWriter(7000 + i);
				const tasks = createWriter(7100 + i);
				for (let n = 0; n < rounds; n++) {
					const record = chatMessage(userId, `m${n}`, `${people[i]} says ${n}`);
					chat.doc.getMap('messages').set(record.id, record);
					const chatAnswer = await send(client, s.docs.chat, chat.take());
					expect(chatAnswer.type).toBe(MessageType.Ack);
					acked.messages.push(record.id);
					const now = Date.now();
					const taskId = `t${i}x${n}`;
					tasks.doc.getMap('tasks').set(taskId, {
						id: taskId, title: `Task ${n} of ${people[i]}`, description: '', status: 'open', due: null,
						createdBy: userId, createdAt: now, updatedAt: now, updatedBy: userId
					});
					const taskAnswer = await send(client, s.docs.tasks, tasks.take());
					expect(taskAnswer.type).toBe(MessageType.Ack);
					acked.tasks.push(taskId);
				}
			})
		);
		expect(acked.messages).toHaveLength(3 * rounds);
		// every client sees every acked message and task, live, over its own node
		for (const client of clients) {
			await until(() => keys(replicaOf(client, s.docs.chat), 'messages').length === acked.messages.length, 'chat converged on every node', 10_000);
			await until(() => keys(replicaOf(client, s.docs.tasks), 'tasks').length === acked.tasks.length, 'tasks converged on every node', 10_000);
			expect(keys(replicaOf(client, s.docs.chat), 'messages')).toEqual([...acked.messages].sort());
			expect(keys(replicaOf(client, s.docs.tasks), 'tasks')).toEqual([...acked.tasks].sort());
		}
		// and a newcomer on any node opens the same stored document
		for (const node of nodes) {
			const late = await node.connect(s.people.Alice.cookie);
			const { state } = await open(late, s.docs.chat);
			const ydoc = new Y.Doc();
			Y.applyUpdate(ydoc, state!);
			expect(keys(ydoc, 'messages')).toEqual([...acked.messages].sort());
			late.close();
		}
	}, 60_000);

	it('a write refused by the owner is refused on every node, and nothing of it is stored', async () => {
		const s = await setUp(nodes[0], { members: ['Alice', 'Bob'] });
		const alice = await nodes[0].connect(s.people.Alice.cookie);
		const bob = await nodes[1].connect(s.people.Bob.cookie);
		await open(alice, s.docs.chat);
		await open(bob, s.docs.chat);
		// Bob (on the node that does not own the document) writes a message in Alice's name
		const forged = createWriter(7300);
		const record = chatMessage(s.people.Alice.id, 'forged', 'not from Alice');
		forged.doc.getMap('messages').set(record.id, record);
		const answer = await send(bob, s.docs.chat, forged.take());
		expect(answer.type).toBe(MessageType.Nack);
		const later = await nodes[2].connect(s.people.Alice.cookie);
		const { state } = await open(later, s.docs.chat);
		const ydoc = new Y.Doc();
		Y.applyUpdate(ydoc, state!);
		expect(keys(ydoc, 'messages')).toEqual([]);
	}, 30_000);

	it('internal-lane canaries written on any node never reach a guest socket on any node', async () => {
		const CANARY = 'CANARYnodes';
		const s = await setUp(nodes[0], { members: ['Alice', 'Bob'], guests: ['Gus', 'Gina', 'Gabe'] });
		const alice = await nodes[1].connect(s.people.Alice.cookie);
		const bob = await nodes[2].connect(s.people.Bob.cookie);
		const guests = await Promise.all(['Gus', 'Gina', 'Gabe'].map((name, i) => nodes[i].connect(s.people[name].cookie)));
		for (const guest of guests) {
			expect((await open(guest, s.docs.chat)).role).toBe('guest');
			expect((await open(guest, s.docs.internal)).role).toBe('none');
		}
		const labelsDoc = orgDoc(s.org, OrgLane.Labels);
		await open(alice, labelsDoc);
		await open(alice, s.docs.internal);
		await open(bob, s.docs.internal);
		await open(bob, s.docs.chat);
		const now = Date.now();
		const defs = createWriter(7400);
		defs.doc.getMap('labels').set(`${CANARY}L`, { id: `${CANARY}L`, name: `${CANARY} label`, color: '#aa3300', createdBy: s.people.Alice.id });
		expect((await send(alice, labelsDoc, defs.take())).type).toBe(MessageType.Ack);
		const internalA = createWriter(7401);
		internalA.doc.getMap('labels').set(`${CANARY}L`, { labelId: `${CANARY}L`, appliedBy: s.people.Alice.id, appliedAt: now });
		expect((await send(alice, s.docs.internal, internalA.take())).type).toBe(MessageType.Ack);
		const internalB = createWriter(7402);
		internalB.doc.getMap('taskAssignees').set(`${CANARY}t`, { taskId: `${CANARY}t`, userId: s.people.Alice.id, assignedBy: s.people.Bob.id, assignedAt: now });
		expect((await send(bob, s.docs.internal, internalB.take())).type).toBe(MessageType.Ack);
		// a chat message in the same conversation reaches every guest: their sockets were live meanwhile
		const chat = createWriter(7403);
		const hello = chatMessage(s.people.Bob.id, 'hello', 'hello guests');
		chat.doc.getMap('messages').set(hello.id, hello);
		expect((await send(bob, s.docs.chat, chat.take())).type).toBe(MessageType.Ack);
		for (const guest of guests) await until(() => keys(replicaOf(guest, s.docs.chat), 'messages').includes(hello.id), 'the guest got the chat message', 10_000);
		// the members on the other nodes did get the canary (it really flowed between nodes)
		await until(() => keys(replicaOf(bob, s.docs.internal), 'labels').includes(`${CANARY}L`), 'Bob got the label applied on another node', 10_000);
		const decoder = new TextDecoder();
		for (const guest of guests) {
			for (const bytes of guest.raw) expect(decoder.decode(bytes)).not.toContain(CANARY);
			for (const frame of guest.frames) {
				if (frame.type === MessageType.Access && frame.role === 'none') continue;
				expect(frame.doc).not.toContain('/internal');
				expect(frame.doc.startsWith('o/')).toBe(false);
			}
		}
	}, 30_000);
});
