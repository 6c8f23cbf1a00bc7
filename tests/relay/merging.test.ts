import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { MessageType, SyncType, writeSyncStep1, writeWrite, type Frame } from '../../src/lib/shared/protocol.ts';
import { OrgLane, orgDoc } from '../../src/lib/shared/doc-names.ts';
import { open, setUp, startRelay, type RawClient, type TestRelay } from './fixture.ts';
import { applyRemote, chatMessage, createWriter } from '../helpers/ydoc.ts';

// A busy conversation grows to thousands of updates. Merging them all at once is quadratic
// (seconds), so the relay folds them in tiers, large merges on a worker thread; these tests check
// that nothing is lost on the way: not in folds, not by a client opening the document while a
// merge runs, not in compaction.

let relay: TestRelay;
beforeAll(async () => {
	relay = await startRelay({ limits: { messagesPerSecond: 1_000_000, messageBurst: 1_000_000, compactAfterRows: 1000 } });
});
afterAll(() => relay.close());

const MESSAGES = 3000;
const filler = 'x'.repeat(120); // ~400 KB in all: large merges take the worker path

/** A client that opens `doc` from `stateVector` and applies everything it receives to `into`. */
async function reader(cookie: string, doc: string, into: Y.Doc): Promise<RawClient> {
	const client = await relay.connect(cookie);
	client.ws.on('message', () => {
		while (client.frames.length > 0) {
			const frame = client.frames.shift() as Frame;
			if (frame.type === MessageType.Sync && frame.doc === doc && frame.syncType !== SyncType.Step1) applyRemote(into, frame.data);
		}
	});
	client.send(writeSyncStep1(doc, Y.encodeStateVector(into)));
	return client;
}

async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
	const end = Date.now() + ms;
	while (!check()) {
		if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 10));
	}
}

describe('a long conversation', () => {
	it('keeps every message through folds, compaction and clients opening it mid-burst, in a few parts', async () => {
		const s = await setUp(relay, { members: ['Alice', 'Bob'] });
		const { chat } = s.docs;
		const [alice, bob] = [s.people.Alice, s.people.Bob];

		const writerClient = await s.connect('Alice');
		await open(writerClient, chat);
		const writer = createWriter(4242);
		const messages = writer.doc.getMap('messages');
		let acked = 0;
		writerClient.ws.on('message', () => {
			acked = writerClient.frames.filter((f) => f.type === MessageType.Ack).length;
		});

		// readers join during the burst: from nothing, and from a stale copy (a state vector to diff against)
		const readers: Array<{ doc: Y.Doc; client: RawClient }> = [];
		let stale: Y.Doc | null = null;
		for (let i = 1; i <= MESSAGES; i++) {
			messages.set(`${alice.id}:${i}`, chatMessage(alice.id, String(i), `message ${i} ${filler}`));
			writerClient.send(writeWrite(chat, i, writer.take()));
			if (i % 700 === 0) {
				const fresh = new Y.Doc();
				readers.push({ doc: fresh, client: await reader(bob.cookie, chat, fresh) });
				if (stale) readers.push({ doc: stale, client: await reader(bob.cookie, chat, stale) });
				stale = new Y.Doc();
				Y.applyUpdate(stale, Y.encodeStateAsUpdate(writer.doc));
			}
			if (i % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
		}
		await until(() => acked === MESSAGES, `all ${MESSAGES} writes are acknowledged`);
		expect(writerClient.frames.filter((f) => f.type === MessageType.Nack)).toEqual([]);

		for (const [n, r] of readers.entries())
			await until(() => r.doc.getMap('messages').size === MESSAGES, `reader ${n} holds every message (has ${r.doc.getMap('messages').size})`);

		// folded, not thousands of parts (the bound: the fold threshold plus one part per tier)
		expect(relay.endpoint.relay.partCount(chat)).toBeLessThan(64 + 16);

		// unloaded (compacted into a snapshot) and opened again from the database: all there
		for (const r of readers) r.client.close();
		writerClient.close();
		await until(() => relay.endpoint.relay.hasSubscribers(chat) === false, 'the readers left');
		await relay.endpoint.relay.unloadIdleNow();
		expect(relay.endpoint.relay.partCount(chat)).toBeNull();
		const reopened = new Y.Doc();
		await reader(bob.cookie, chat, reopened);
		await until(() => reopened.getMap('messages').size === MESSAGES, 'the reopened copy holds every message');
		expect((reopened.getMap('messages').get(`${alice.id}:${MESSAGES}`) as { text: string }).text).toBe(`message ${MESSAGES} ${filler}`);
	});
});

describe('compaction of a busy document', () => {
	it('waits until the document is quiet, then folds the log into one snapshot', async () => {
		const quiet = await startRelay({ limits: { messagesPerSecond: 1_000_000, messageBurst: 1_000_000, compactAfterRows: 50, compactQuietMs: 300 } });
		try {
			const s = await setUp(quiet, { members: ['Alice'] });
			const { chat } = s.docs;
			const alice = s.people.Alice;
			const client = await s.connect('Alice');
			await open(client, chat);
			const writer = createWriter(777);
			const logRows = async () => Number((await quiet.database.client.execute({ sql: 'SELECT count(*) AS n FROM doc_updates WHERE doc = ?', args: [chat] })).rows[0].n);
			const snapshots = async () => Number((await quiet.database.client.execute({ sql: 'SELECT count(*) AS n FROM doc_snapshots WHERE doc = ?', args: [chat] })).rows[0].n);
			for (let i = 1; i <= 120; i++) {
				writer.doc.getMap('messages').set(`${alice.id}:${i}`, chatMessage(alice.id, String(i), `message ${i}`));
				client.send(writeWrite(chat, i, writer.take()));
			}
			await client.waitFor((f) => f.type === MessageType.Ack && f.writeId === 120);
			// past the row threshold, but not quiet yet: the log is still all there
			expect(await logRows()).toBe(120);
			expect(await snapshots()).toBe(0);
			const end = Date.now() + 5000;
			while ((await logRows()) > 0 && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 50));
			expect(await logRows()).toBe(0);
			expect(await snapshots()).toBe(1);
			// and the compacted document opens whole
			const reader = new Y.Doc();
			const other = await s.connect('Alice');
			Y.applyUpdate(reader, (await open(other, chat)).state!);
			expect(reader.getMap('messages').size).toBe(120);
		} finally {
			await quiet.close();
		}
	});
});

describe('a guest opening a large conversation while members label and assign', () => {
	it('receives nothing internal: not in the held-back frames, not in any frame', async () => {
		const CANARY = 'CANARYopen';
		const s = await setUp(relay, { members: ['Alice'], guests: ['Gus'] });
		const { chat, internal } = s.docs;
		const labels = orgDoc(s.org, OrgLane.Labels);
		const alice = s.people.Alice;

		const member = await s.connect('Alice');
		for (const doc of [chat, internal, labels]) {
			member.send(writeSyncStep1(doc, new Uint8Array([0])));
			await member.waitFor((f) => f.type === MessageType.Sync && f.syncType === SyncType.Step2 && f.doc === doc);
		}
		// large enough that opening it is merged on the worker, with frames held back meanwhile
		const chatWriter = createWriter(9001);
		let writeId = 0;
		for (let i = 0; i < 1500; i++) {
			chatWriter.doc.getMap('messages').set(`${alice.id}:${i}`, chatMessage(alice.id, String(i), `message ${i} ${filler}`));
			member.send(writeWrite(chat, ++writeId, chatWriter.take()));
		}
		const lastChat = writeId;
		await member.waitFor((f) => f.type === MessageType.Ack && f.writeId === lastChat, 20_000);

		const guest = await s.connect('Gus');
		guest.send(writeSyncStep1(chat, new Uint8Array([0])));
		guest.send(writeSyncStep1(internal, new Uint8Array([0])));
		// while the guest's open is being merged: labels defined and applied, an assignee, more chat
		const labelsWriter = createWriter(9002);
		const internalWriter = createWriter(9003);
		for (let i = 0; i < 20; i++) {
			const labelId = `${CANARY}${i}`;
			labelsWriter.doc.getMap('labels').set(labelId, { id: labelId, name: `${CANARY} label`, color: '#aa3300', createdBy: alice.id });
			member.send(writeWrite(labels, ++writeId, labelsWriter.take()));
			internalWriter.doc.getMap('labels').set(labelId, { labelId, appliedBy: alice.id, appliedAt: i });
			internalWriter.doc.getMap('assignees').set(alice.id, { userId: alice.id, assignedBy: alice.id, assignedAt: i });
			member.send(writeWrite(internal, ++writeId, internalWriter.take()));
			chatWriter.doc.getMap('messages').set(`${alice.id}:late${i}`, chatMessage(alice.id, `late${i}`, `late ${i}`));
			member.send(writeWrite(chat, ++writeId, chatWriter.take()));
		}
		const last = writeId;
		const answers = await Promise.all(
			Array.from({ length: last - lastChat }, (_, k) => member.waitFor((f) => (f.type === MessageType.Ack || f.type === MessageType.Nack) && f.writeId === lastChat + k + 1, 20_000))
		);
		expect(answers.filter((f) => f.type !== MessageType.Ack)).toEqual([]); // the canaries really flowed

		// the guest got the whole chat, late messages included
		const replica = new Y.Doc();
		await until(() => {
			for (const frame of guest.frames.splice(0)) if (frame.type === MessageType.Sync && frame.doc === chat) applyRemote(replica, frame.data);
			return replica.getMap('messages').size === 1520;
		}, 'the guest holds every chat message');
		const decoder = new TextDecoder();
		for (const bytes of guest.raw) expect(decoder.decode(bytes)).not.toContain(CANARY);
		// and the canaries are really in the internal document the guest was refused
		expect(decoder.decode(await relay.endpoint.relay.readState(internal))).toContain(CANARY);
		expect(JSON.stringify(replica.toJSON())).not.toContain(CANARY);
	});
});
