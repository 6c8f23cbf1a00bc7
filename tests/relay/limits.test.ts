import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CloseCode, MessageType, ReasonCode, writeWrite, type Frame } from '../../src/lib/shared/protocol.ts';
import type { RelayLimits } from '../../server/relay/relay.ts';
import { setUp, startRelay, type TestRelay } from './fixture.ts';
import { chatMessage, createWriter } from '../helpers/ydoc.ts';
import { open, serverView, sleep, until, write } from '../helpers/sync-ops.ts';

// The relay's limits, each with small values so they are reached quickly: message rate, a slow
// reader's buffered bytes, frame size, and idle unload with compaction.

let relay: TestRelay | null = null;
afterEach(async () => {
	await relay?.close();
	relay = null;
});

async function setup(limits: Partial<RelayLimits>) {
	relay = await startRelay({ limits });
	const s = await setUp(relay, { members: ['Alice', 'Bob', 'Carol'] });
	return { relay, alice: s.people.Alice, bob: s.people.Bob, carol: s.people.Carol, chat: s.docs.chat };
}

let nextClientId = 70_000;
function messages(userId: string, count: number, size: number): Uint8Array {
	const w = createWriter(nextClientId++);
	for (let i = 0; i < count; i++) {
		const record = chatMessage(userId, `m${nextClientId}x${i}`, 'z'.repeat(size));
		w.doc.getMap('messages').set(record.id, record);
	}
	return w.take();
}

describe('relay limits', () => {
	it('answers a client over the message rate with rate-limited nacks, and serves it again later', async () => {
		const { relay, alice, chat } = await setup({ messagesPerSecond: 5, messageBurst: 20 });
		const client = await relay.connect(alice.cookie);
		await open(client, chat); // takes one token
		const from = client.frames.length;
		const sent = 30;
		for (let id = 1; id <= sent; id++) client.send(writeWrite(chat, id, messages(alice.id, 1, 10)));
		const answered = (f: Frame) => (f.type === MessageType.Ack || f.type === MessageType.Nack) && f.doc === chat;
		await until(() => client.frames.slice(from).filter(answered).length === sent, 'every write is answered');
		const answers = client.frames.slice(from).filter(answered);
		const limited = answers.filter((f) => f.type === MessageType.Nack && f.reason === ReasonCode.RateLimited);
		const acked = answers.filter((f) => f.type === MessageType.Ack);
		// the burst (minus the open) passes, the rest is refused with the reason the client can act on
		expect(acked.length).toBeGreaterThanOrEqual(19);
		expect(acked.length).toBeLessThan(sent);
		expect(limited.length).toBe(sent - acked.length);
		expect(answers.every((f) => f.type === MessageType.Ack || (f.type === MessageType.Nack && f.reason === ReasonCode.RateLimited))).toBe(true);
		// the refused writes were not stored
		const view = await serverView(relay, alice.cookie, chat);
		expect(Object.keys(view.json.messages ?? {})).toHaveLength(acked.length);
		// the socket stays open, and after a pause the client may write again
		expect(client.closeCode).toBeNull();
		await sleep(500);
		expect((await write(client, chat, messages(alice.id, 1, 10))).type).toBe(MessageType.Ack);
	});

	it('closes a client that keeps sending far over the rate with 4429', async () => {
		const { relay, alice, bob, chat } = await setup({ messagesPerSecond: 5, messageBurst: 10 });
		const flooder = await relay.connect(alice.cookie);
		const other = await relay.connect(bob.cookie);
		await open(flooder, chat);
		await open(other, chat);
		const update = messages(alice.id, 1, 10);
		for (let id = 1; id <= 40; id++) flooder.send(writeWrite(chat, id, update));
		expect(await flooder.closed()).toBe(CloseCode.RateLimited.code);
		expect((await write(other, chat, messages(bob.id, 1, 10))).type).toBe(MessageType.Ack);
	});

	it('drops a slow reader with 4408 while the others keep receiving', async () => {
		const { relay, alice, bob, carol, chat } = await setup({ maxBufferedBytes: 256 * 1024, messagesPerSecond: 10_000, messageBurst: 10_000 });
		const writer = await relay.connect(alice.cookie);
		const fast = await relay.connect(bob.cookie);
		const slow = await relay.connect(carol.cookie);
		for (const c of [writer, fast, slow]) await open(c, chat);
		// the slow client stops reading: the kernel buffers fill, then the server's ws buffers
		(slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
		const fastFrom = fast.frames.length;
		let acked = 0;
		let batches = 0;
		// ~190 KiB per write; keep writing until the relay gives up on the slow client
		while (relay.endpoint.relay.stats().connections === 3 && batches < 200) {
			const answer = await write(writer, chat, messages(alice.id, 20, 9_000));
			expect(answer.type).toBe(MessageType.Ack);
			acked++;
			batches++;
		}
		expect(relay.endpoint.relay.stats().connections).toBe(2);
		// the fast client got every accepted write (in one or more frames)
		await until(() => {
			const doc = new Y.Doc();
			for (const f of fast.frames.slice(fastFrom)) if (f.type === MessageType.Sync && f.doc === chat) Y.applyUpdate(doc, f.data);
			return doc.getMap('messages').size === acked * 20;
		}, 'the fast reader has every message', 10_000);
		// once the slow client reads again, it finds the close code that tells it why
		(slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
		expect(await slow.closed(10_000)).toBe(CloseCode.TooSlow.code);
		// and the room carries on
		const fastNow = fast.frames.length;
		expect((await write(writer, chat, messages(alice.id, 1, 10))).type).toBe(MessageType.Ack);
		await fast.waitFor((f) => f.type === MessageType.Sync && f.doc === chat, 5000, fastNow);
	}, 30_000);

	it('closes a connection that sends a frame over the size limit', async () => {
		const { relay, alice, bob, chat } = await setup({ maxFrameBytes: 64 * 1024 });
		const big = await relay.connect(alice.cookie);
		const other = await relay.connect(bob.cookie);
		await open(big, chat);
		await open(other, chat);
		big.send(writeWrite(chat, 1, new Uint8Array(100 * 1024)));
		expect(await big.closed()).toBe(CloseCode.FrameTooLarge.code); // the documented code, not ws's 1009
		expect((await write(other, chat, messages(bob.id, 1, 10))).type).toBe(MessageType.Ack);
	});

	it('closes with 4413, as documented, for a frame just over the default 1 MiB', async () => {
		const { relay, alice, chat } = await setup({});
		const big = await relay.connect(alice.cookie);
		await open(big, chat);
		big.send(writeWrite(chat, 1, new Uint8Array(1024 * 1024))); // the frame header makes it 1 MiB + a few bytes
		expect(await big.closed()).toBe(CloseCode.FrameTooLarge.code);
		const again = await relay.connect(alice.cookie); // reconnecting works; the limit is per frame
		expect((await open(again, chat)).role).toBeTruthy();
	});

	it('unloads an idle document into a snapshot and serves the same state from it', async () => {
		const { relay, alice, bob, chat } = await setup({});
		const a = await relay.connect(alice.cookie);
		const b = await relay.connect(bob.cookie);
		await open(a, chat);
		await open(b, chat);
		for (let i = 0; i < 5; i++) expect((await write(i % 2 ? b : a, chat, messages(i % 2 ? bob.id : alice.id, 2, 50))).type).toBe(MessageType.Ack);
		// a deletion too, so the snapshot must carry the delete set
		const w = createWriter(nextClientId++);
		const gone = chatMessage(alice.id, 'gone', 'delete me');
		w.doc.getMap('messages').set(gone.id, gone);
		expect((await write(a, chat, w.take())).type).toBe(MessageType.Ack);
		w.doc.getMap('messages').delete(gone.id);
		expect((await write(a, chat, w.take())).type).toBe(MessageType.Ack);
		const before = await serverView(relay, alice.cookie, chat);
		expect(Object.keys(before.json.messages)).toHaveLength(10);

		const count = async (sql: string) => Number((await relay.database.client.execute({ sql, args: [chat] })).rows[0].n);
		expect(await count('SELECT count(*) AS n FROM doc_updates WHERE doc = ?')).toBe(7);
		expect(await count('SELECT count(*) AS n FROM doc_snapshots WHERE doc = ?')).toBe(0);

		a.close();
		b.close();
		await until(() => relay.endpoint.relay.stats().connections === 0, 'the sockets are closed on the server');
		expect(relay.endpoint.relay.stats().rooms).toBeGreaterThan(0);
		await relay.endpoint.relay.unloadIdleNow();
		expect(relay.endpoint.relay.stats().rooms).toBe(0);
		expect(await count('SELECT count(*) AS n FROM doc_snapshots WHERE doc = ?')).toBe(1);
		expect(await count('SELECT count(*) AS n FROM doc_updates WHERE doc = ?')).toBe(0);

		// reopening loads the snapshot and serves exactly the same document
		const after = await serverView(relay, bob.cookie, chat);
		expect(after.json).toEqual(before.json);
		expect(after.sv).toEqual(before.sv);
		// and writing continues on top of it, validated against the reloaded index: the writer's clock
		// continues (state vector restored) and its client id is still bound to alice (bindings restored)
		const c = await relay.connect(alice.cookie);
		const d = await relay.connect(bob.cookie);
		await open(c, chat);
		await open(d, chat);
		const impostor = createWriter(nextClientId++);
		Y.applyUpdate(impostor.doc, Y.encodeStateAsUpdate(w.doc), 'remote');
		impostor.doc.clientID = w.doc.clientID; // after applying: Yjs would pick a new id on seeing its own
		const forged = chatMessage(bob.id, 'imp', 'bob as alice');
		impostor.doc.getMap('messages').set(forged.id, forged);
		expect(await write(d, chat, impostor.take())).toMatchObject({ type: MessageType.Nack, reason: ReasonCode.ClientIdTaken });
		const record = chatMessage(alice.id, 'after', 'after reload');
		w.doc.getMap('messages').set(record.id, record);
		expect((await write(c, chat, w.take())).type).toBe(MessageType.Ack);
		const final = await serverView(relay, bob.cookie, chat);
		expect(Object.keys(final.json.messages)).toHaveLength(11);
	});

	it('refuses a session its next socket over the cap with 4409, and a closed socket frees a slot', async () => {
		const { relay, alice, bob, chat } = await setup({ maxSocketsPerSession: 3 });
		const tabs = [];
		for (let i = 0; i < 3; i++) {
			const tab = await relay.connect(alice.cookie);
			expect((await open(tab, chat)).role).toBe('member');
			tabs.push(tab);
		}
		const extra = await relay.connect(alice.cookie);
		expect(await extra.closed()).toBe(CloseCode.TooManySockets.code);
		// the cap is per session: another person is not affected, and the open tabs keep working
		expect((await open(await relay.connect(bob.cookie), chat)).role).toBe('member');
		expect((await write(tabs[0], chat, messages(alice.id, 1, 10))).type).toBe(MessageType.Ack);
		// once a tab closes its slot is free (the relay sees the close a moment after the client does)
		tabs[2].ws.close();
		await tabs[2].closed();
		let next: Awaited<ReturnType<typeof relay.connect>> | null = null;
		await until(async () => {
			const tab = await relay.connect(alice.cookie);
			const opened = await open(tab, chat).then(
				() => true,
				() => false
			);
			if (opened) next = tab;
			return opened;
		}, 'a fourth socket is accepted after one closed');
		expect(next!.closeCode).toBeNull();
	});
});
