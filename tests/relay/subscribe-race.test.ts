import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessageType, ReasonCode, writeSyncStep1 } from '../../src/lib/shared/protocol.ts';
import { setUp, startRelay, type TestRelay } from './fixture.ts';
import { chatMessage, createWriter } from '../helpers/ydoc.ts';
import { open, sleep, write, type AccessFrame } from '../helpers/sync-ops.ts';

// Security review: a document being opened while the user loses access. The open reads the facts,
// then (awaiting) loads the room; an access refresh that runs in between cannot see the subscription
// yet, so without a second look the revoked guest would keep receiving the conversation.

let relay: TestRelay;
beforeAll(async () => {
	relay = await startRelay();
});
afterAll(() => relay.close());

describe('opening a document during a revocation', () => {
	it('does not leave a revoked guest subscribed', async () => {
		const s = await setUp(relay, { members: ['Alice'], guests: ['Gus'] });
		const { conversation, docs: { chat } } = s;
		const [alice, guest] = [s.people.Alice, s.people.Gus];
		const aliceClient = await s.connect('Alice');
		await open(aliceClient, chat);
		const guestClient = await s.connect('Gus');

		// hold the guest's fact read (made before the revocation) until the revocation has been applied
		const client = relay.database.client;
		const batch = client.batch.bind(client);
		let release!: () => void;
		const gate = new Promise<void>((resolve) => (release = resolve));
		let reached!: () => void;
		const hit = new Promise<void>((resolve) => (reached = resolve));
		let armed = true;
		(client as { batch: typeof client.batch }).batch = (async (...args: Parameters<typeof client.batch>) => {
			const result = await batch(...args);
			if (armed) {
				armed = false;
				reached();
				await gate;
			}
			return result;
		}) as typeof client.batch;
		try {
			const from = guestClient.frames.length;
			guestClient.send(writeSyncStep1(chat, new Uint8Array([0])));
			await hit;
			await client.execute({ sql: 'DELETE FROM conversation_participants WHERE conversation_id = ? AND user_id = ?', args: [conversation, guest.id] });
			await relay.endpoint.relay.refreshAccess({ userId: guest.id });
			release();
			await guestClient.waitFor((f) => f.type === MessageType.Access && f.doc === chat, 5000, from);
			await sleep(50);
			const after = guestClient.frames.length;
			const w = createWriter(123_456);
			const record = chatMessage(alice.id, 'm-after', 'said after the guest was removed');
			w.doc.getMap('messages').set(record.id, record);
			expect((await write(aliceClient, chat, w.take())).type).toBe(MessageType.Ack);
			await sleep(100);
			const roles = guestClient.frames.slice(from).filter((f): f is AccessFrame => f.type === MessageType.Access && f.doc === chat).map((f) => f.role);
			expect(roles[roles.length - 1]).toBe('none');
			expect(guestClient.frames.slice(after).filter((f) => f.doc === chat && f.type === MessageType.Sync)).toEqual([]);
			const g = createWriter(654_321);
			const mine = chatMessage(guest.id, 'g-after', 'still here?');
			g.doc.getMap('messages').set(mine.id, mine);
			expect(await write(guestClient, chat, g.take())).toMatchObject({ type: MessageType.Nack, reason: ReasonCode.NotSubscribed });
		} finally {
			(client as { batch: typeof client.batch }).batch = batch;
			release();
		}
	});
});
