import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { CloseCode, MessageType, ReasonCode, SyncType, writeAwareness, writeSyncStep1 } from '../../src/lib/shared/protocol.ts';
import { removedChatMessage, type ChatMessage } from '../../src/lib/shared/records.ts';
import type { RelayLimits } from '../../server/relay/relay.ts';
import { writeAwarenessUpdate } from '../../server/relay/awareness.ts';
import { setUp, startRelay, type TestRelay } from './fixture.ts';
import { applyRemote, chatMessage, createWriter } from '../helpers/ydoc.ts';
import { open, serverView, until, write, type NackFrame } from '../helpers/sync-ops.ts';

// Byte quotas and large documents over real sockets: a guest's flood of large writes is refused
// by bytes, a document stops at its size cap (lower for guests), a member opens a document far
// larger than the slow-client limit without being dropped, and a reader that never reads still is.

let relay: TestRelay | null = null;
afterEach(async () => {
	await relay?.close();
	relay = null;
});

async function setup(limits: Partial<RelayLimits> = {}) {
	relay = await startRelay({ limits });
	const s = await setUp(relay, { members: ['Ada', 'Bob'], roles: { Ada: 'admin' }, guests: ['Gus'] });
	return { relay, s, ada: s.people.Ada, bob: s.people.Bob, gus: s.people.Gus, chat: s.docs.chat };
}

let nextClientId = 120_000;
/** One write of `count` chat messages of `size` characters (10,000 is the most a message holds). */
function messages(userId: string, count: number, size: number): Uint8Array {
	const w = createWriter(nextClientId++);
	for (let i = 0; i < count; i++) {
		const record = chatMessage(userId, `q${nextClientId}x${i}`, 'z'.repeat(size));
		w.doc.getMap('messages').set(record.id, record);
	}
	return w.take();
}

const MiB = 1024 * 1024;

/** Makes the chat large cheaply: one server edit (not validated, not budgeted), ~1 MiB of messages per `mib`. */
async function grow(relay: TestRelay, doc: string, authorId: string, mib: number): Promise<void> {
	await relay.endpoint.relay.serverEdit(doc, (ydoc) => {
		const map = ydoc.getMap('messages');
		for (let n = 0; n < mib; n++) {
			for (let i = 0; i < 115; i++) {
				const record = chatMessage(authorId, `big${n}x${i}`, 'y'.repeat(9_000));
				map.set(record.id, record);
			}
		}
	});
}

describe('byte quotas and large documents', () => {
	it("refuses a guest's flood of ~240 KiB writes by bytes, and nothing refused is stored", async () => {
		const { relay, s, ada, gus, chat } = await setup();
		const guest = await s.connect('Gus');
		await open(guest, chat);
		const answers = [];
		// 27 messages of 9,000 characters: a write of ~240 KiB, just under the 256 KiB update cap
		for (let i = 0; i < 100; i++) answers.push(await write(guest, chat, messages(gus.id, 27, 9_000)));
		const acked = answers.filter((a) => a.type === MessageType.Ack).length;
		const refused = answers.filter((a): a is NackFrame => a.type === MessageType.Nack);
		// a few pass (the guest burst is 1 MiB), then the budget refuses them: before, all 100 were stored
		expect(acked).toBeGreaterThan(0);
		expect(acked).toBeLessThan(20);
		expect(refused.length).toBe(100 - acked);
		expect(refused.every((n) => n.reason === ReasonCode.QuotaExceeded)).toBe(true);
		expect(refused[0].message).toMatch(/not saved/);
		// refused writes changed nothing: only the acknowledged messages are stored
		const view = await serverView(relay, ada.cookie, chat);
		expect(Object.keys(view.json.messages ?? {})).toHaveLength(acked * 27);
		// members are not held to the guest's budget, and a normal small message still passes for anyone
		const member = await s.connect('Ada');
		await open(member, chat);
		expect((await write(member, chat, messages(ada.id, 20, 9_000))).type).toBe(MessageType.Ack);
		expect((await write(member, chat, messages(ada.id, 1, 40))).type).toBe(MessageType.Ack);
		expect(guest.closeCode).toBeNull();
	}, 60_000);

	it("counts the budget per user: a guest's second socket shares it, another guest has their own", async () => {
		// no refill to speak of, so what each socket may still write does not depend on the time taken
		relay = await startRelay({ limits: { guestWriteBytesPerSecond: 1, guestWriteByteBurst: 1024 * 1024 } });
		const s = await setUp(relay, { members: ['Ada'], guests: ['Gus', 'Gil'] });
		const [first, second, other] = await Promise.all(['Gus', 'Gus', 'Gil'].map((n) => s.connect(n)));
		for (const c of [first, second, other]) await open(c, s.docs.chat);
		let acked = 0;
		while ((await write(first, s.docs.chat, messages(s.people.Gus.id, 20, 9_000))).type === MessageType.Ack) acked++;
		expect(acked).toBe(5); // 5 × ~180 KiB fit in 1 MiB
		expect(await write(second, s.docs.chat, messages(s.people.Gus.id, 20, 9_000))).toMatchObject({ type: MessageType.Nack, reason: ReasonCode.QuotaExceeded });
		expect((await write(other, s.docs.chat, messages(s.people.Gil.id, 20, 9_000))).type).toBe(MessageType.Ack);
	});

	it('refuses a write past the document size cap, a guest at a lower cap than a member', async () => {
		const { relay, s, ada, gus, chat } = await setup({ guestMaxDocBytes: 600 * 1024, maxDocBytes: 1200 * 1024 });
		const guest = await s.connect('Gus');
		const member = await s.connect('Ada');
		await open(guest, chat);
		await open(member, chat);
		let guestAcked = 0;
		let last = await write(guest, chat, messages(gus.id, 10, 9_000));
		for (; last.type === MessageType.Ack && guestAcked < 20; last = await write(guest, chat, messages(gus.id, 10, 9_000))) guestAcked++;
		expect(last).toMatchObject({ type: MessageType.Nack, reason: ReasonCode.DocumentFull });
		expect((last as NackFrame).message).toMatch(/size limit/);
		// ~90 KiB per write: the guest stopped at its 600 KiB
		expect(guestAcked).toBeGreaterThanOrEqual(5);
		expect(guestAcked).toBeLessThanOrEqual(7);
		// a member may still write (and so clean up) past the guest's cap, up to the member cap
		let memberAcked = 0;
		let answer = await write(member, chat, messages(ada.id, 10, 9_000));
		for (; answer.type === MessageType.Ack && memberAcked < 20; answer = await write(member, chat, messages(ada.id, 10, 9_000))) memberAcked++;
		expect(memberAcked).toBeGreaterThanOrEqual(3);
		expect(answer).toMatchObject({ type: MessageType.Nack, reason: ReasonCode.DocumentFull });
		// nothing refused was stored
		const view = await serverView(relay, ada.cookie, chat);
		expect(Object.keys(view.json.messages ?? {})).toHaveLength((guestAcked + memberAcked) * 10);
	});

	it('a member opens a 22 MiB chat completely without being dropped, and an admin removes a message in it', async () => {
		const { relay, s, gus, ada, chat } = await setup();
		await grow(relay, chat, gus.id, 22);
		await relay.endpoint.relay.unloadIdleNow(); // opened cold from storage, as after a restart
		// someone is already there, with presence: the newcomer gets it right behind its step 2
		const admin = await s.connect('Ada');
		await open(admin, chat);
		admin.send(writeAwareness(chat, writeAwarenessUpdate([{ clientId: 4242, clock: 1, state: JSON.stringify({ cursor: null }) }])));
		expect((await write(admin, chat, messages(ada.id, 1, 40))).type).toBe(MessageType.Ack); // frames are handled in order
		const bob = await s.connect('Bob');
		const opened = await open(bob, chat);
		expect(opened.state!.byteLength).toBeGreaterThan(20 * MiB); // over the 8 MiB slow-client limit
		// the frame sent right behind the step 2 used to find it still buffered: 4408, then reconnect, forever
		expect((await write(bob, chat, messages(s.people.Bob.id, 1, 40))).type).toBe(MessageType.Ack);
		await bob.waitFor((f) => f.type === MessageType.Awareness && f.doc === chat);
		const doc = new Y.Doc();
		applyRemote(doc, opened.state!);
		expect(doc.getMap('messages').size).toBe(22 * 115 + 1);
		// cleaning up works on a document this large: the admin removes one of the guest's messages
		const target = doc.getMap('messages').get(`${gus.id}:big0x0`) as ChatMessage;
		const w = createWriter(nextClientId++);
		applyRemote(w.doc, opened.state!);
		w.doc.getMap('messages').set(target.id, removedChatMessage(target, { id: ada.id, name: 'Ada' }, Date.now()));
		expect(await write(admin, chat, w.take())).toMatchObject({ type: MessageType.Ack });
		const stored = (await serverView(relay, s.people.Bob.cookie, chat)).json.messages[target.id];
		expect(stored).toMatchObject({ text: '', removed: { by: ada.id } });
		expect(bob.closeCode).toBeNull();
		expect(admin.closeCode).toBeNull();
	}, 120_000);

	it('still closes a reader that never reads, with 4408, even while its large step 2 is unsent', async () => {
		const { relay, s, ada, gus, chat } = await setup({ maxBufferedBytes: 256 * 1024, writeBytesPerSecond: 1e9, writeByteBurst: 1e9, userWriteBytesPerSecond: 1e9, userWriteByteBurst: 1e9 });
		await grow(relay, chat, gus.id, 4);
		const writer = await s.connect('Ada');
		await open(writer, chat);
		const stuck = await s.connect('Bob');
		(stuck.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
		stuck.send(writeSyncStep1(chat, new Uint8Array([0])));
		let batches = 0;
		// ~180 KiB per write, live traffic on top of the unread 4 MiB step 2
		while (relay.endpoint.relay.stats().connections === 2 && batches < 300) {
			expect((await write(writer, chat, messages(ada.id, 20, 9_000))).type).toBe(MessageType.Ack);
			batches++;
		}
		expect(relay.endpoint.relay.stats().connections).toBe(1);
		(stuck.ws as unknown as { _socket: { resume(): void } })._socket.resume();
		expect(await stuck.closed(20_000)).toBe(CloseCode.TooSlow.code);
		// it had been sent its step 2 (it is only the live traffic it did not read that counted)
		expect(stuck.frames.some((f) => f.type === MessageType.Sync && f.syncType === SyncType.Step2)).toBe(true);
	}, 60_000);
});
