import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { MessageType, ReasonCode, type Frame } from '../../src/lib/shared/protocol.ts';
import { setUp, startRelay, type RawClient, type TestRelay } from './fixture.ts';
import { applyRemote, chatMessage, createWriter } from '../helpers/ydoc.ts';
import { open, serverView, sleep, syncFramesFor, write } from '../helpers/sync-ops.ts';

// Forbidden and allowed writes through the real relay (port 0, real database file, real sockets).
// A refused write must come back as a Nack with its exact reason, leave the stored document as it
// was (seen by a fresh connection), reach no other subscriber, and leave the socket usable.

let relay: TestRelay;
beforeAll(async () => {
	relay = await startRelay();
});
afterAll(() => relay.close());

let nextClientId = 10_000;
const writer = () => createWriter(nextClientId++);

type Person = { id: string; cookie: string };
interface Team {
	alice: Person;
	bob: Person;
	guest: Person;
	observerUser: Person;
	aliceClient: RawClient;
	bobClient: RawClient;
	guestClient: RawClient;
	/** A member subscribed to chat, tasks and internal, to see what is forwarded. */
	observer: RawClient;
	chat: string;
	tasks: string;
	internal: string;
}

async function team(): Promise<Team> {
	const s = await setUp(relay, { members: ['Alice', 'Bob', 'Olga'], guests: ['Gus'] });
	const { Alice: alice, Bob: bob, Gus: guest, Olga: observerUser } = s.people;
	const { chat, tasks, internal } = s.docs;
	const [aliceClient, bobClient, guestClient, observer] = await Promise.all(['Alice', 'Bob', 'Gus', 'Olga'].map((name) => s.connect(name)));
	for (const c of [aliceClient, bobClient, observer]) {
		for (const doc of [chat, tasks, internal]) expect((await open(c, doc)).role).toBe('member');
	}
	expect((await open(guestClient, chat)).role).toBe('guest');
	expect((await open(guestClient, tasks)).role).toBe('guest');
	return { alice, bob, guest, observerUser, aliceClient, bobClient, guestClient, observer, chat, tasks, internal };
}

/** A fresh writer's update that adds one chat message of `userId`. */
function ownMessage(userId: string, text = 'a valid message'): { update: Uint8Array; key: string } {
	const w = writer();
	const record = chatMessage(userId, `m${nextClientId}`, text);
	w.doc.getMap('messages').set(record.id, record);
	return { update: w.take(), key: record.id };
}

function task(id: string, by: string, title = `Task ${id}`) {
	const now = Date.now();
	return { id, title, description: '', status: 'open' as const, due: null, createdBy: by, createdAt: now, updatedAt: now, updatedBy: by };
}

async function storedRows(doc: string): Promise<number> {
	const rs = await relay.database.client.execute({ sql: 'SELECT count(*) AS n FROM doc_updates WHERE doc = ?', args: [doc] });
	return Number(rs.rows[0].n);
}

/** A writer that starts from the server's current state of `doc` (as a real client would after syncing). */
async function synced(t: Team, doc: string) {
	const w = writer();
	const view = await serverView(relay, t.observerUser.cookie, doc);
	applyRemote(w.doc, Y.encodeStateAsUpdate(view.ydoc));
	return w;
}

/**
 * Sends `update` as `client` and checks everything a refusal promises: the exact reason, the stored
 * state unchanged, nothing forwarded, and the same socket still accepts a valid write afterwards.
 */
async function expectRefused(t: Team, client: RawClient, actor: Person, doc: string, update: Uint8Array, reason: string): Promise<void> {
	await relay.endpoint.relay.drain();
	const before = await serverView(relay, t.observerUser.cookie, doc);
	const rowsBefore = await storedRows(doc);
	const observerFrom = t.observer.frames.length;

	const answer = await write(client, doc, update);
	expect(answer.type).toBe(MessageType.Nack);
	expect(answer.type === MessageType.Nack && answer.reason).toBe(reason);

	// nothing forwarded (fan-out happens on the next turn; give it time to show up if it were wrong)
	await sleep(50);
	expect(syncFramesFor(t.observer, doc, observerFrom)).toEqual([]);
	// nothing stored
	await relay.endpoint.relay.drain();
	expect(await storedRows(doc)).toBe(rowsBefore);
	const after = await serverView(relay, t.observerUser.cookie, doc);
	expect(after.json).toEqual(before.json);
	expect(after.sv).toEqual(before.sv);

	// the socket is still usable: a valid write right after is acknowledged and forwarded
	expect(client.closeCode).toBeNull();
	const valid = ownMessage(actor.id, 'still here');
	const chatFrom = t.observer.frames.length;
	const ok = await write(client, t.chat, valid.update);
	expect(ok.type).toBe(MessageType.Ack);
	await t.observer.waitFor((f) => f.type === MessageType.Sync && f.doc === t.chat, 5000, chatFrom);
	const now = await serverView(relay, t.observerUser.cookie, t.chat);
	expect((now.json as { messages: Record<string, unknown> }).messages[valid.key]).toBeTruthy();
}

describe('forbidden writes', () => {
	it('refuses a guest writing to tasks', async () => {
		const t = await team();
		const w = writer();
		w.doc.getMap('tasks').set('t1', task('t1', t.guest.id));
		await expectRefused(t, t.guestClient, t.guest, t.tasks, w.take(), ReasonCode.Forbidden);
	});

	it('does not let a guest even open internal, and refuses its writes there', async () => {
		const t = await team();
		expect((await open(t.guestClient, t.internal)).role).toBe('none');
		const w = writer();
		w.doc.getMap('assignees').set(t.guest.id, { userId: t.guest.id, assignedBy: t.guest.id, assignedAt: Date.now() });
		await expectRefused(t, t.guestClient, t.guest, t.internal, w.take(), ReasonCode.NotSubscribed);
		// the only frame about internal the guest ever got is the refusal to open it
		const aboutInternal = t.guestClient.frames.filter((f) => f.doc === t.internal);
		expect(aboutInternal.map((f) => f.type).sort()).toEqual([MessageType.Access, MessageType.Nack].sort());
		expect(aboutInternal.find((f) => f.type === MessageType.Access)).toMatchObject({ role: 'none' });
	});

	it("refuses a member overwriting another author's chat message", async () => {
		const t = await team();
		const mine = ownMessage(t.alice.id, 'original');
		expect((await write(t.aliceClient, t.chat, mine.update)).type).toBe(MessageType.Ack);
		const w = await synced(t, t.chat);
		w.doc.getMap('messages').set(mine.key, { ...chatMessage(t.alice.id, mine.key.split(':')[1], 'rewritten by bob') });
		await expectRefused(t, t.bobClient, t.bob, t.chat, w.take(), ReasonCode.NotOwner);
	});

	it("refuses a member deleting another author's chat message", async () => {
		const t = await team();
		const mine = ownMessage(t.alice.id, 'keep me');
		expect((await write(t.aliceClient, t.chat, mine.update)).type).toBe(MessageType.Ack);
		const w = await synced(t, t.chat);
		w.doc.getMap('messages').delete(mine.key);
		await expectRefused(t, t.bobClient, t.bob, t.chat, w.take(), ReasonCode.NotOwner);
	});

	it("refuses a guest deleting a member's chat message", async () => {
		const t = await team();
		const mine = ownMessage(t.alice.id, 'keep me');
		expect((await write(t.aliceClient, t.chat, mine.update)).type).toBe(MessageType.Ack);
		const w = await synced(t, t.chat);
		w.doc.getMap('messages').delete(mine.key);
		await expectRefused(t, t.guestClient, t.guest, t.chat, w.take(), ReasonCode.NotOwner);
	});

	it('refuses a forged authorId', async () => {
		const t = await team();
		const w = writer();
		const record = { ...chatMessage(t.bob.id, 'x1', 'I am alice'), authorId: t.alice.id };
		w.doc.getMap('messages').set(record.id, record);
		await expectRefused(t, t.bobClient, t.bob, t.chat, w.take(), ReasonCode.NotAuthor);
	});

	it("refuses a key with another user's prefix", async () => {
		const t = await team();
		const w = writer();
		const record = { ...chatMessage(t.alice.id, 'x2', 'under alice key'), authorId: t.bob.id };
		w.doc.getMap('messages').set(record.id, record);
		await expectRefused(t, t.bobClient, t.bob, t.chat, w.take(), ReasonCode.ForeignKey);
	});

	it('refuses a Yjs client id already bound to another user', async () => {
		const t = await team();
		const alices = writer();
		const first = chatMessage(t.alice.id, 'c1', 'from alice');
		alices.doc.getMap('messages').set(first.id, first);
		expect((await write(t.aliceClient, t.chat, alices.take())).type).toBe(MessageType.Ack);
		// bob writes as alice's client id, continuing its clock exactly
		const bobs = await synced(t, t.chat);
		bobs.doc.clientID = alices.doc.clientID;
		const record = chatMessage(t.bob.id, 'c2', 'from bob as alice');
		bobs.doc.getMap('messages').set(record.id, record);
		await expectRefused(t, t.bobClient, t.bob, t.chat, bobs.take(), ReasonCode.ClientIdTaken);
	});

	it('refuses an update with a clock gap', async () => {
		const t = await team();
		const w = writer();
		const a = chatMessage(t.alice.id, 'g1', 'first');
		w.doc.getMap('messages').set(a.id, a);
		w.take(); // never sent
		const b = chatMessage(t.alice.id, 'g2', 'second');
		w.doc.getMap('messages').set(b.id, b);
		await expectRefused(t, t.aliceClient, t.alice, t.chat, w.take(), ReasonCode.ClockGap);
	});

	it('refuses an unknown root', async () => {
		const t = await team();
		const w = writer();
		w.doc.getMap('secrets').set('k', { anything: 1 });
		await expectRefused(t, t.aliceClient, t.alice, t.chat, w.take(), ReasonCode.UnknownRoot);
	});

	it('refuses an oversized record value', async () => {
		const t = await team();
		const w = writer();
		const record = chatMessage(t.alice.id, 'big', 'x'.repeat(20_000));
		w.doc.getMap('messages').set(record.id, record);
		await expectRefused(t, t.aliceClient, t.alice, t.chat, w.take(), ReasonCode.TooLarge);
	});

	it('refuses an update over the update size cap', async () => {
		const t = await team();
		const w = writer();
		// many valid records, together over 256 KiB
		for (let i = 0; i < 40; i++) {
			const record = chatMessage(t.alice.id, `b${i}`, 'y'.repeat(9_000));
			w.doc.getMap('messages').set(record.id, record);
		}
		const update = w.take();
		expect(update.byteLength).toBeGreaterThan(relay.endpoint.relay.limits.maxUpdateBytes);
		await expectRefused(t, t.aliceClient, t.alice, t.chat, update, ReasonCode.TooLarge);
	});

	it('refuses a record that fails its schema', async () => {
		const t = await team();
		const w = writer();
		w.doc.getMap('tasks').set('t9', { ...task('t9', t.alice.id), status: 'maybe' });
		await expectRefused(t, t.aliceClient, t.alice, t.tasks, w.take(), ReasonCode.InvalidRecord);
	});

	it('refuses a nested Y type', async () => {
		const t = await team();
		const w = writer();
		const nested = new Y.Map();
		w.doc.getMap('messages').set(`${t.alice.id}:nested`, nested);
		nested.set('text', 'hi');
		await expectRefused(t, t.aliceClient, t.alice, t.chat, w.take(), ReasonCode.UnsupportedContent);
	});

	it('refuses Y.Text', async () => {
		const t = await team();
		const w = writer();
		w.doc.getText('messages').insert(0, 'free text');
		await expectRefused(t, t.aliceClient, t.alice, t.chat, w.take(), ReasonCode.UnsupportedContent);
	});

	it('refuses assigning a guest in internal', async () => {
		const t = await team();
		const w = writer();
		w.doc.getMap('assignees').set(t.guest.id, { userId: t.guest.id, assignedBy: t.alice.id, assignedAt: Date.now() });
		await expectRefused(t, t.aliceClient, t.alice, t.internal, w.take(), ReasonCode.UnknownReference);
	});
});

describe('accepted writes', () => {
	const messagesOf = (json: unknown) => (json as { messages: Record<string, { text: string }> }).messages;

	it('stores and forwards an own message, an edit of it and its deletion', async () => {
		const t = await team();
		const w = writer();
		const record = chatMessage(t.alice.id, 'own', 'hello');
		const observerFrom = t.observer.frames.length;
		const guestFrom = t.guestClient.frames.length;
		w.doc.getMap('messages').set(record.id, record);
		expect((await write(t.aliceClient, t.chat, w.take())).type).toBe(MessageType.Ack);
		expect(messagesOf((await serverView(relay, t.bob.cookie, t.chat)).json)[record.id].text).toBe('hello');
		// the other subscribers (members and the guest) receive it
		await t.observer.waitFor((f) => f.type === MessageType.Sync && f.doc === t.chat, 5000, observerFrom);
		await t.guestClient.waitFor((f) => f.type === MessageType.Sync && f.doc === t.chat, 5000, guestFrom);

		w.doc.getMap('messages').set(record.id, { ...record, text: 'hello, edited', editedAt: Date.now() });
		expect((await write(t.aliceClient, t.chat, w.take())).type).toBe(MessageType.Ack);
		expect(messagesOf((await serverView(relay, t.bob.cookie, t.chat)).json)[record.id].text).toBe('hello, edited');

		w.doc.getMap('messages').delete(record.id);
		expect((await write(t.aliceClient, t.chat, w.take())).type).toBe(MessageType.Ack);
		expect(messagesOf((await serverView(relay, t.bob.cookie, t.chat)).json)[record.id]).toBeUndefined();
	});

	it("lets a member edit another member's task, and the guest sees it", async () => {
		const t = await team();
		const alices = writer();
		alices.doc.getMap('tasks').set('t1', task('t1', t.alice.id, 'Call the client'));
		expect((await write(t.aliceClient, t.tasks, alices.take())).type).toBe(MessageType.Ack);
		const bobs = await synced(t, t.tasks);
		const guestFrom = t.guestClient.frames.length;
		bobs.doc.getMap('tasks').set('t1', { ...task('t1', t.alice.id, 'Call the client'), status: 'done', updatedBy: t.bob.id });
		expect((await write(t.bobClient, t.tasks, bobs.take())).type).toBe(MessageType.Ack);
		const view = (await serverView(relay, t.alice.cookie, t.tasks)).json as { tasks: Record<string, { status: string; updatedBy: string }> };
		expect(view.tasks.t1).toMatchObject({ status: 'done', updatedBy: t.bob.id });
		const forwarded = (await t.guestClient.waitFor((f) => f.type === MessageType.Sync && f.doc === t.tasks, 5000, guestFrom)) as Extract<Frame, { type: 0 }>;
		const replica = new Y.Doc();
		Y.applyUpdate(replica, Y.encodeStateAsUpdate((await serverView(relay, t.guest.cookie, t.tasks)).ydoc));
		expect(replica.getMap('tasks').get('t1')).toMatchObject({ status: 'done' });
		expect(forwarded.data.byteLength).toBeGreaterThan(0);
	});

	it('acknowledges a resent identical write and stores it once', async () => {
		const t = await team();
		const { update, key } = ownMessage(t.alice.id, 'sent twice');
		const observerFrom = t.observer.frames.length;
		expect((await write(t.aliceClient, t.chat, update)).type).toBe(MessageType.Ack);
		await t.observer.waitFor((f) => f.type === MessageType.Sync && f.doc === t.chat, 5000, observerFrom);
		// a resend after a reconnect, on a new socket
		const again = await relay.connect(t.alice.cookie);
		await open(again, t.chat);
		expect((await write(again, t.chat, update)).type).toBe(MessageType.Ack);
		// and once more on the same socket
		expect((await write(t.aliceClient, t.chat, update)).type).toBe(MessageType.Ack);
		await relay.endpoint.relay.drain();
		await sleep(50);
		expect(await storedRows(t.chat)).toBe(1);
		expect(syncFramesFor(t.observer, t.chat, observerFrom)).toHaveLength(1);
		const messages = messagesOf((await serverView(relay, t.bob.cookie, t.chat)).json);
		expect(Object.keys(messages)).toEqual([key]);
		again.close();
	});
});
