import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessageType, ReasonCode, type Frame } from '../../src/lib/shared/protocol.ts';
import { readAwarenessUpdate, writeAwarenessUpdate, type AwarenessEntry } from '../../server/relay/awareness.ts';
import { writeAwareness } from '../../src/lib/shared/protocol.ts';
import { setUp, startRelay, type RawClient, type TestRelay } from './fixture.ts';
import { chatMessage, createWriter } from '../helpers/ydoc.ts';
import { open, sleep, write, type AccessFrame } from '../helpers/sync-ops.ts';

// Access changes on open sockets: a revoked guest, guests turned off for the organization, a member
// removed or demoted. The change takes effect at once, on every lane, and nothing of the
// conversation reaches the socket afterwards. Plus presence: own client ids only, identity stamped
// by the server, guests only on lanes they may read.

let relay: TestRelay;
beforeAll(async () => {
	relay = await startRelay();
});
afterAll(() => relay.close());

let nextClientId = 90_000;
function message(userId: string, text = 'hello'): Uint8Array {
	const w = createWriter(nextClientId++);
	const record = chatMessage(userId, `m${nextClientId}`, text);
	w.doc.getMap('messages').set(record.id, record);
	return w.take();
}
function taskUpdate(by: string): Uint8Array {
	const w = createWriter(nextClientId++);
	const id = `t${nextClientId}`;
	const now = Date.now();
	w.doc.getMap('tasks').set(id, { id, title: 'A task', description: '', status: 'open', due: null, createdBy: by, createdAt: now, updatedAt: now, updatedBy: by });
	return w.take();
}
const presence = (doc: string, entries: AwarenessEntry[]) => writeAwareness(doc, writeAwarenessUpdate(entries));

async function sql(statement: string, ...args: Array<string | number>) {
	await relay.database.client.execute({ sql: statement, args });
}

async function setting() {
	const s = await setUp(relay, { members: ['Alice', 'Bob'], guests: ['Gus'] });
	const { org, conversation, docs } = s;
	const { Alice: alice, Bob: bob, Gus: guest } = s.people;
	const aliceClient = await s.connect('Alice');
	const bobClient = await s.connect('Bob');
	const guestClient = await s.connect('Gus');
	for (const c of [aliceClient, bobClient]) for (const doc of Object.values(docs)) expect((await open(c, doc)).role).toBe('member');
	for (const doc of [docs.thread, docs.chat, docs.tasks]) expect((await open(guestClient, doc)).role).toBe('guest');
	return { org, conversation, alice, bob, guest, docs, aliceClient, bobClient, guestClient };
}

const accessFrames = (client: RawClient, from: number) => client.frames.slice(from).filter((f): f is AccessFrame => f.type === MessageType.Access);

/** After losing access: nothing of those docs arrives while members keep writing and showing presence, and writes are refused. */
async function expectCutOff(s: Awaited<ReturnType<typeof setting>>, client: RawClient, userId: string, docs: string[], cutAt: number) {
	const after = client.frames.length;
	// members keep working in the conversation
	const bobFrom = s.bobClient.frames.length;
	expect((await write(s.aliceClient, s.docs.chat, message(s.alice.id, 'after the revocation'))).type).toBe(MessageType.Ack);
	expect((await write(s.aliceClient, s.docs.tasks, taskUpdate(s.alice.id))).type).toBe(MessageType.Ack);
	s.aliceClient.send(presence(s.docs.chat, [{ clientId: nextClientId++, clock: 1, state: JSON.stringify({ typing: true }) }]));
	await s.bobClient.waitFor((f) => f.type === MessageType.Sync && f.doc === s.docs.tasks, 5000, bobFrom);
	await s.bobClient.waitFor((f) => f.type === MessageType.Awareness && f.doc === s.docs.chat, 5000, bobFrom);
	await sleep(50);
	// not one frame about those documents reached the revoked socket after the Access none
	expect(client.frames.slice(after).filter((f) => docs.includes(f.doc))).toEqual([]);
	// nor any Sync/Awareness frame after the access change at all
	const leaked = client.frames.slice(cutAt).filter((f) => docs.includes(f.doc) && (f.type === MessageType.Sync || f.type === MessageType.Awareness));
	expect(leaked).toEqual([]);
	// its writes are refused as not subscribed, and it cannot open them again
	expect(await write(client, s.docs.chat, message(userId, 'still here?'))).toMatchObject({ type: MessageType.Nack, reason: ReasonCode.NotSubscribed });
	for (const doc of docs) expect((await open(client, doc)).role).toBe('none');
	expect(client.closeCode).toBeNull();
}

describe('revocation while connected', () => {
	it('drops every lane of a revoked guest at once', async () => {
		const s = await setting();
		const from = s.guestClient.frames.length;
		await sql('DELETE FROM conversation_participants WHERE conversation_id = ? AND user_id = ?', s.conversation, s.guest.id);
		await relay.endpoint.relay.refreshAccess({ conversationId: s.conversation });
		// the frames are sent when refreshAccess resolves; only the network is left
		await s.guestClient.waitFor(() => accessFrames(s.guestClient, from).length === 3, 1000, from).catch(() => undefined);
		const lanes = [s.docs.thread, s.docs.chat, s.docs.tasks];
		expect(accessFrames(s.guestClient, from).map((f) => [f.doc, f.role]).sort()).toEqual(lanes.map((d) => [d, 'none']).sort());
		// the members were not affected
		expect(accessFrames(s.aliceClient, 0).filter((f) => f.role === 'none')).toEqual([]);
		await expectCutOff(s, s.guestClient, s.guest.id, lanes, from);
	});

	it('revokes all lanes together: no lane keeps flowing while another is already cut off', async () => {
		const s = await setting();
		const lanes = [s.docs.thread, s.docs.chat, s.docs.tasks];
		const from = s.guestClient.frames.length;
		await sql('DELETE FROM conversation_participants WHERE conversation_id = ? AND user_id = ?', s.conversation, s.guest.id);
		// members keep writing to every guest lane while the access change is applied
		let writing = true;
		const burst = (async () => {
			let n = 0;
			while (writing && n < 200) {
				n++;
				await Promise.all([
					write(s.aliceClient, s.docs.chat, message(s.alice.id, `burst ${n}`)),
					write(s.bobClient, s.docs.tasks, taskUpdate(s.bob.id)),
					relay.endpoint.relay.serverEdit(s.docs.thread, (d) => d.getMap('events').set(`e${n}`, { id: `e${n}`, type: 'guest-removed', actorName: 'A', subjectName: 'G', at: Date.now() }))
				]);
			}
		})();
		await sleep(20);
		await relay.endpoint.relay.refreshAccess({ conversationId: s.conversation });
		await sleep(50);
		writing = false;
		await burst;
		const received = s.guestClient.frames.slice(from);
		const firstNone = received.findIndex((f) => f.type === MessageType.Access && f.role === 'none' && lanes.includes(f.doc));
		expect(firstNone).toBeGreaterThanOrEqual(0);
		// after the first lane is cut off, nothing of any lane of the conversation arrives
		const late = received.slice(firstNone).filter((f) => lanes.includes(f.doc) && f.type !== MessageType.Access);
		expect(late).toEqual([]);
		expect(received.slice(firstNone).filter((f) => f.type === MessageType.Access).map((f) => f.doc).sort()).toEqual([...lanes].sort());
	});

	it('drops a guest when the organization turns guests off', async () => {
		const s = await setting();
		const from = s.guestClient.frames.length;
		await sql('UPDATE organizations SET guests_allowed = 0 WHERE id = ?', s.org);
		await relay.endpoint.relay.refreshAccess({ orgId: s.org });
		await s.guestClient.waitFor(() => accessFrames(s.guestClient, from).length === 3, 1000, from).catch(() => undefined);
		const lanes = [s.docs.thread, s.docs.chat, s.docs.tasks];
		expect(accessFrames(s.guestClient, from).map((f) => [f.doc, f.role]).sort()).toEqual(lanes.map((d) => [d, 'none']).sort());
		// members keep their role on every lane
		expect(accessFrames(s.bobClient, 0).filter((f) => f.role !== 'member')).toEqual([]);
		await expectCutOff(s, s.guestClient, s.guest.id, lanes, from);
	});

	it('drops every lane of a member removed from the organization', async () => {
		const s = await setting();
		const from = s.bobClient.frames.length;
		await sql('DELETE FROM memberships WHERE org_id = ? AND user_id = ?', s.org, s.bob.id);
		await relay.endpoint.relay.refreshAccess({ userId: s.bob.id });
		await s.bobClient.waitFor(() => accessFrames(s.bobClient, from).length === 4, 1000, from).catch(() => undefined);
		const lanes = Object.values(s.docs);
		expect(accessFrames(s.bobClient, from).map((f) => [f.doc, f.role]).sort()).toEqual(lanes.map((d) => [d, 'none']).sort());
		// bob is no longer a bystander here: use alice and the guest to check what he would have seen
		const after = s.bobClient.frames.length;
		const guestFrom = s.guestClient.frames.length;
		expect((await write(s.aliceClient, s.docs.internal, assign(s.alice.id))).type).toBe(MessageType.Ack);
		expect((await write(s.aliceClient, s.docs.chat, message(s.alice.id))).type).toBe(MessageType.Ack);
		await s.guestClient.waitFor((f) => f.type === MessageType.Sync && f.doc === s.docs.chat, 5000, guestFrom);
		await sleep(50);
		expect(s.bobClient.frames.slice(after).filter((f) => lanes.includes(f.doc))).toEqual([]);
		expect(await write(s.bobClient, s.docs.internal, assign(s.bob.id))).toMatchObject({ type: MessageType.Nack, reason: ReasonCode.NotSubscribed });
	});

	it('takes internal from a member demoted to a guest of the conversation, keeping the guest lanes', async () => {
		const s = await setting();
		await relay.addGuest(s.conversation, s.bob.id);
		const from = s.bobClient.frames.length;
		await sql('DELETE FROM memberships WHERE org_id = ? AND user_id = ?', s.org, s.bob.id);
		await relay.endpoint.relay.refreshAccess({ orgId: s.org });
		await s.bobClient.waitFor(() => accessFrames(s.bobClient, from).length === 4, 1000, from).catch(() => undefined);
		const roles = Object.fromEntries(accessFrames(s.bobClient, from).map((f) => [f.doc, f.role]));
		expect(roles).toEqual({ [s.docs.internal]: 'none', [s.docs.thread]: 'guest', [s.docs.chat]: 'guest', [s.docs.tasks]: 'guest' });
		// internal no longer reaches bob; chat still does
		const after = s.bobClient.frames.length;
		expect((await write(s.aliceClient, s.docs.internal, assign(s.alice.id))).type).toBe(MessageType.Ack);
		expect((await write(s.aliceClient, s.docs.chat, message(s.alice.id))).type).toBe(MessageType.Ack);
		await s.bobClient.waitFor((f) => f.type === MessageType.Sync && f.doc === s.docs.chat, 5000, after);
		await sleep(50);
		expect(s.bobClient.frames.slice(after).filter((f) => f.doc === s.docs.internal)).toEqual([]);
		// and bob writes as a guest now: tasks refused, own chat accepted
		expect(await write(s.bobClient, s.docs.tasks, taskUpdate(s.bob.id))).toMatchObject({ type: MessageType.Nack, reason: ReasonCode.Forbidden });
		expect((await write(s.bobClient, s.docs.chat, message(s.bob.id))).type).toBe(MessageType.Ack);
		// and the relay no longer accepts him as an assignee (he is not a member)
		expect(await write(s.aliceClient, s.docs.internal, assign(s.bob.id, s.alice.id))).toMatchObject({
			type: MessageType.Nack,
			reason: ReasonCode.UnknownReference
		});
	});
});

function assign(userId: string, by = userId): Uint8Array {
	const w = createWriter(nextClientId++);
	w.doc.getMap('assignees').set(userId, { userId, assignedBy: by, assignedAt: Date.now() });
	return w.take();
}

type AwarenessFrame = Extract<Frame, { type: typeof MessageType.Awareness }>;
const awarenessOf = (client: RawClient, doc: string, from: number) =>
	client.frames
		.slice(from)
		.filter((f): f is AwarenessFrame => f.type === MessageType.Awareness && f.doc === doc)
		.flatMap((f) => readAwarenessUpdate(f.data) ?? []);

describe('presence', () => {
	it('stamps the session identity over a forged user field', async () => {
		const s = await setting();
		const bobFrom = s.bobClient.frames.length;
		const guestFrom = s.guestClient.frames.length;
		const clientId = nextClientId++;
		s.aliceClient.send(presence(s.docs.chat, [{ clientId, clock: 1, state: JSON.stringify({ typing: true, user: { id: s.bob.id, name: 'Bob (forged)' } }) }]));
		await s.bobClient.waitFor((f) => f.type === MessageType.Awareness && f.doc === s.docs.chat, 5000, bobFrom);
		const [entry] = awarenessOf(s.bobClient, s.docs.chat, bobFrom);
		expect(entry.clientId).toBe(clientId);
		expect(JSON.parse(entry.state)).toEqual({ typing: true, user: { id: s.alice.id, name: 'Alice', role: 'member' } });
		// a guest sees presence on chat, stamped the same way
		await s.guestClient.waitFor((f) => f.type === MessageType.Awareness && f.doc === s.docs.chat, 5000, guestFrom);
		expect(JSON.parse(awarenessOf(s.guestClient, s.docs.chat, guestFrom)[0].state).user).toEqual({ id: s.alice.id, name: 'Alice', role: 'member' });
		// and a guest's own presence carries the guest role
		const aliceFrom = s.aliceClient.frames.length;
		s.guestClient.send(presence(s.docs.chat, [{ clientId: nextClientId++, clock: 1, state: JSON.stringify({ viewing: true, user: { id: s.alice.id, name: 'Alice' } }) }]));
		await s.aliceClient.waitFor((f) => f.type === MessageType.Awareness && f.doc === s.docs.chat, 5000, aliceFrom);
		expect(JSON.parse(awarenessOf(s.aliceClient, s.docs.chat, aliceFrom)[0].state).user).toEqual({ id: s.guest.id, name: 'Gus', role: 'guest' });
	});

	it("refuses presence for a client id another connection uses, or one bound to another user's writes", async () => {
		const s = await setting();
		const taken = nextClientId++;
		const bobFrom = s.bobClient.frames.length;
		s.aliceClient.send(presence(s.docs.chat, [{ clientId: taken, clock: 1, state: JSON.stringify({ typing: true }) }]));
		await s.bobClient.waitFor((f) => f.type === MessageType.Awareness && f.doc === s.docs.chat, 5000, bobFrom);

		// bob's writes bind another client id to him
		const bobsWriter = createWriter(nextClientId++);
		const record = chatMessage(s.bob.id, 'b1', 'mine');
		bobsWriter.doc.getMap('messages').set(record.id, record);
		expect((await write(s.bobClient, s.docs.chat, bobsWriter.take())).type).toBe(MessageType.Ack);

		const aliceFrom = s.aliceClient.frames.length;
		const guestFrom = s.guestClient.frames.length;
		// bob tries to speak for alice's presence client id; alice (another connection of hers) tries bob's writing client id
		s.bobClient.send(presence(s.docs.chat, [{ clientId: taken, clock: 2, state: JSON.stringify({ typing: false, hijacked: true }) }]));
		const secondAlice = await relay.connect(s.alice.cookie);
		await open(secondAlice, s.docs.chat);
		const guestFrom2 = s.guestClient.frames.length;
		secondAlice.send(presence(s.docs.chat, [{ clientId: bobsWriter.doc.clientID, clock: 1, state: JSON.stringify({ typing: true }) }]));
		await sleep(100);
		expect(awarenessOf(s.aliceClient, s.docs.chat, aliceFrom).filter((e) => e.clientId === taken || e.clientId === bobsWriter.doc.clientID)).toEqual([]);
		expect(awarenessOf(s.guestClient, s.docs.chat, guestFrom).filter((e) => e.clientId === taken)).toEqual([]);
		expect(awarenessOf(s.guestClient, s.docs.chat, guestFrom2).filter((e) => e.clientId === bobsWriter.doc.clientID)).toEqual([]);
		// a newcomer sees the presence as alice set it
		const newcomer = await relay.connect(s.guest.cookie);
		const from = newcomer.frames.length;
		await open(newcomer, s.docs.chat);
		await newcomer.waitFor((f) => f.type === MessageType.Awareness && f.doc === s.docs.chat, 5000, from);
		const current = awarenessOf(newcomer, s.docs.chat, from);
		expect(current.map((e) => e.clientId)).toEqual([taken]);
		expect(JSON.parse(current[0].state)).toEqual({ typing: true, user: { id: s.alice.id, name: 'Alice', role: 'member' } });
		newcomer.close();
		secondAlice.close();
	});

	it('never gives a guest presence on internal', async () => {
		const s = await setting();
		const guestFrom = s.guestClient.frames.length;
		const bobFrom = s.bobClient.frames.length;
		s.aliceClient.send(presence(s.docs.internal, [{ clientId: nextClientId++, clock: 1, state: JSON.stringify({ viewing: 'labels' }) }]));
		await s.bobClient.waitFor((f) => f.type === MessageType.Awareness && f.doc === s.docs.internal, 5000, bobFrom);
		// a guest cannot open internal, and presence sent there by it goes nowhere
		expect((await open(s.guestClient, s.docs.internal)).role).toBe('none');
		const bobNow = s.bobClient.frames.length;
		s.guestClient.send(presence(s.docs.internal, [{ clientId: nextClientId++, clock: 1, state: JSON.stringify({ viewing: true }) }]));
		await sleep(100);
		expect(s.guestClient.frames.slice(guestFrom).filter((f) => f.doc === s.docs.internal && f.type !== MessageType.Access)).toEqual([]);
		expect(s.bobClient.frames.slice(bobNow).filter((f) => f.type === MessageType.Awareness && f.doc === s.docs.internal)).toEqual([]);
	});
});
