// Three relay nodes over one database file and one real Redis (REDIS_URL set), each a real app on
// port 0 with real sockets: clients spread over the nodes chat and edit tasks live and converge
// with every acknowledged write present, whichever node owns the document; internal-lane
// canaries written on any node never reach a guest socket on any node. And, shaped after
// hocuspocus#1151 (three nodes, a stale replica): a node that missed committed updates serves a
// client from its stale copy, that client writes, and no content is lost or deleted anywhere.
// Presence crosses nodes too, stamped by the node that holds the socket. Shaped after
// hocuspocus#971: rooms unloading on the owner and on a replica while a client reconnects and
// writes lose nothing acknowledged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as Y from 'yjs';
import { MessageType, writeAwareness, writeWrite, type Frame } from '../../src/lib/shared/protocol.ts';
import { readAwarenessUpdate, writeAwarenessUpdate } from '../../server/relay/awareness.ts';
import { orgDoc, OrgLane } from '../../src/lib/shared/doc-names.ts';
import { open, setUp, startRelay, until, type RawClient, type TestRelay } from '../relay/fixture.ts';
import { Redis } from 'ioredis';
import { streamKey } from '../../server/scaleout/doc-stream.ts';
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

	it('a stale replica (it missed committed updates) deletes nothing: every node converges on all of it (hocuspocus#1151)', async () => {
		const s = await setUp(nodes[0], { members: ['Alice', 'Bob', 'Carol', 'Dave'] });
		const alice = await nodes[0].connect(s.people.Alice.cookie);
		expect((await open(alice, s.docs.chat)).role).toBe('member'); // node 0 owns the chat from here
		const bob = await nodes[1].connect(s.people.Bob.cookie);
		const carol = await nodes[2].connect(s.people.Carol.cookie);
		await open(bob, s.docs.chat);
		await open(carol, s.docs.chat);
		const writers = new Map<RawClient, ReturnType<typeof createWriter>>();
		const say = async (client: RawClient, name: string, key: string) => {
			if (!writers.has(client)) writers.set(client, createWriter(7500 + writers.size));
			const w = writers.get(client)!;
			const record = chatMessage(s.people[name].id, key, `${name}: ${key}`);
			w.doc.getMap('messages').set(record.id, record);
			expect((await send(client, s.docs.chat, w.take())).type).toBe(MessageType.Ack);
			return record.id;
		};
		const all = [await say(alice, 'Alice', 'm1'), await say(bob, 'Bob', 'm2')];
		await until(() => keys(replicaOf(carol, s.docs.chat), 'messages').length === 2, 'Carol on node 2 has both', 10_000);

		// the stream cannot take entries (its key holds a string): commits go on, their publishes fail,
		// and nodes 1 and 2 miss them, as when an owner dies between a commit and its publish
		const raw = new Redis(redis.url);
		try {
			await raw.set(streamKey(s.docs.chat), 'not a stream');
			all.push(await say(alice, 'Alice', 'm3'));
			// Dave opens on node 2 from its stale copy: the test really has a stale replica
			const dave = await nodes[2].connect(s.people.Dave.cookie);
			const { state } = await open(dave, s.docs.chat);
			const stale = new Y.Doc();
			Y.applyUpdate(stale, state!);
			expect(keys(stale, 'messages')).not.toContain(all[2]);
			// the stale node's client and another node's client write; their writes go to the owner
			all.push(await say(dave, 'Dave', 'm4'), await say(bob, 'Bob', 'm5'));
			await raw.del(streamKey(s.docs.chat));
			all.push(await say(alice, 'Alice', 'm6'));
			// the next entry's prev shows the gap: the stale nodes refill from the store
			const expected = [...all].sort();
			for (const client of [alice, bob, carol, dave])
				await until(() => keys(replicaOf(client, s.docs.chat), 'messages').join() === expected.join(), 'every client converged', 10_000);
			for (const node of nodes) {
				const late = await node.connect(s.people.Carol.cookie);
				const opened = await open(late, s.docs.chat);
				const ydoc = new Y.Doc();
				Y.applyUpdate(ydoc, opened.state!);
				expect(keys(ydoc, 'messages')).toEqual(expected);
				// nothing was deleted: each message still has its text
				for (const key of expected) expect((ydoc.getMap('messages').get(key) as { text: string }).text).toContain(key.split(':')[1]);
				late.close();
			}
		} finally {
			raw.disconnect();
		}
	}, 60_000);

	it('presence crosses nodes, stamped by the node holding the socket; a newcomer elsewhere gets it; leaving clears it', async () => {
		const s = await setUp(nodes[0], { members: ['Alice', 'Bob', 'Carol'], guests: ['Gus'] });
		const alice = await nodes[0].connect(s.people.Alice.cookie);
		const bob = await nodes[1].connect(s.people.Bob.cookie);
		const gus = await nodes[2].connect(s.people.Gus.cookie);
		for (const client of [alice, bob, gus]) await open(client, s.docs.chat);
		await open(alice, s.docs.internal);
		await open(bob, s.docs.internal);
		/** The presence states (by client id) a client has heard of on a document. */
		const heard = (client: RawClient, doc: string) => {
			const states = new Map<number, string>();
			for (const frame of client.frames) {
				if (frame.type !== MessageType.Awareness || frame.doc !== doc) continue;
				for (const entry of readAwarenessUpdate(frame.data) ?? []) states.set(entry.clientId, entry.state);
			}
			return states;
		};
		// Alice claims to be Bob: the node holding her socket stamps her own identity
		alice.send(writeAwareness(s.docs.chat, writeAwarenessUpdate([{ clientId: 9101, clock: 1, state: JSON.stringify({ typing: true, user: { id: s.people.Bob.id, name: 'Bob' } }) }])));
		alice.send(writeAwareness(s.docs.internal, writeAwarenessUpdate([{ clientId: 9102, clock: 1, state: JSON.stringify({ viewing: true }) }])));
		for (const client of [bob, gus]) await until(() => heard(client, s.docs.chat).has(9101), 'presence reached the other nodes', 10_000);
		const seen = JSON.parse(heard(bob, s.docs.chat).get(9101)!);
		expect(seen.typing).toBe(true);
		expect(seen.user).toMatchObject({ id: s.people.Alice.id, name: 'Alice', role: 'member' });
		expect(JSON.parse(heard(gus, s.docs.chat).get(9101)!).user.id).toBe(s.people.Alice.id);
		await until(() => heard(bob, s.docs.internal).has(9102), 'internal presence reached Bob', 10_000);
		// a newcomer on the third node gets who is there with its document
		const carol = await nodes[2].connect(s.people.Carol.cookie);
		await open(carol, s.docs.chat);
		await until(() => heard(carol, s.docs.chat).has(9101), 'the newcomer got the presence of a socket on another node', 10_000);
		// Alice closes the document: everyone elsewhere hears she left
		alice.close();
		for (const client of [bob, gus, carol]) await until(() => heard(client, s.docs.chat).get(9101) === 'null', 'leaving reached the other nodes', 10_000);
		// nothing of the internal lane reached the guest, presence included
		expect(gus.frames.some((f) => f.doc === s.docs.internal && f.type === MessageType.Awareness)).toBe(false);
		expect(heard(gus, s.docs.chat).has(9102)).toBe(false);
	}, 30_000);

	it('rooms unloading on the owner and a replica while a client reconnects and writes lose nothing acked (hocuspocus#971)', async () => {
		const s = await setUp(nodes[0], { members: ['Alice', 'Bob'] });
		const acked: string[] = [];
		const writer = createWriter(7600);
		const say = async (client: RawClient, key: string) => {
			const record = chatMessage(s.people.Bob.id, key, key);
			writer.doc.getMap('messages').set(record.id, record);
			expect((await send(client, s.docs.chat, writer.take())).type).toBe(MessageType.Ack);
			acked.push(record.id);
		};
		const alice = await nodes[0].connect(s.people.Alice.cookie);
		await open(alice, s.docs.chat); // node 0 owns it
		for (let round = 0; round < 5; round++) {
			const bob = await nodes[1].connect(s.people.Bob.cookie);
			await open(bob, s.docs.chat);
			await say(bob, `r${round}a`);
			bob.close();
			if (round === 2) alice.close(); // from here the owner's room may unload too
			// both nodes unload what is idle while Bob's next socket opens and writes
			const again = await nodes[1].connect(s.people.Bob.cookie);
			await Promise.all([
				nodes[1].endpoint.relay.unloadIdleNow(),
				nodes[0].endpoint.relay.unloadIdleNow(),
				(async () => {
					await open(again, s.docs.chat);
					await say(again, `r${round}b`);
				})()
			]);
			again.close();
		}
		for (const node of nodes) {
			const late = await node.connect(s.people.Alice.cookie);
			const { state } = await open(late, s.docs.chat);
			const ydoc = new Y.Doc();
			Y.applyUpdate(ydoc, state!);
			expect(keys(ydoc, 'messages')).toEqual([...acked].sort());
			late.close();
		}
	}, 60_000);
});
