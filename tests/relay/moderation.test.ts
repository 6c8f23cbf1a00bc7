import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { MessageType, ReasonCode } from '../../src/lib/shared/protocol.ts';
import { removedChatMessage, type ChatMessage } from '../../src/lib/shared/records.ts';
import { setUp, startRelay, type TestRelay } from './fixture.ts';
import { applyRemote, chatMessage, createWriter } from '../helpers/ydoc.ts';
import { open, serverView, until, write } from '../helpers/sync-ops.ts';

// Moderation over the real relay: an organization's admin replaces a guest's chat message by
// "removed by <admin>", which every reader receives live and a fresh connection sees stored; a
// plain member cannot, and the guest cannot undo it.

let relay: TestRelay;
beforeAll(async () => {
	relay = await startRelay();
});
afterAll(() => relay.close());

let nextClientId = 90_000;

async function scene() {
	const s = await setUp(relay, { members: ['Ada', 'Bob'], roles: { Ada: 'admin' }, guests: ['Gus'] });
	const [ada, bob, gus] = await Promise.all(['Ada', 'Bob', 'Gus'].map((n) => s.connect(n)));
	for (const c of [ada, bob, gus]) await open(c, s.docs.chat);
	// the guest floods the chat with one large message
	const gusWriter = createWriter(nextClientId++);
	const posted = chatMessage(s.people.Gus.id, 'spam1', 'x'.repeat(9000));
	gusWriter.doc.getMap('messages').set(posted.id, posted);
	expect((await write(gus, s.docs.chat, gusWriter.take())).type).toBe(MessageType.Ack);
	/** A writer synced to what the server stores now. */
	const synced = async () => {
		const w = createWriter(nextClientId++);
		applyRemote(w.doc, Y.encodeStateAsUpdate((await serverView(relay, s.people.Bob.cookie, s.docs.chat)).ydoc));
		return w;
	};
	return { s, ada, bob, gus, gusWriter, posted: posted as ChatMessage, synced };
}

describe('moderation over the relay', () => {
	it('an admin removes a guest\'s message: everyone sees "removed by Ada", and it stays removed', async () => {
		const { s, ada, bob, gus, gusWriter, posted, synced } = await scene();
		const w = await synced();
		w.doc.getMap('messages').set(posted.id, removedChatMessage(posted, { id: s.people.Ada.id, name: 'Ada' }, Date.now()));
		const bobFrom = bob.frames.length;
		const gusFrom = gus.frames.length;
		expect(await write(ada, s.docs.chat, w.take())).toMatchObject({ type: MessageType.Ack });

		// live: the others receive it
		for (const [client, from] of [[bob, bobFrom], [gus, gusFrom]] as const) {
			await until(() => client.frames.slice(from).some((f) => f.type === MessageType.Sync && f.doc === s.docs.chat), 'the removal reaches the reader');
		}
		// stored: a fresh connection (the guest's) sees the removal
		const stored = (await serverView(relay, s.people.Gus.cookie, s.docs.chat)).json.messages[posted.id];
		expect(stored).toMatchObject({ authorId: s.people.Gus.id, text: '', removed: { by: s.people.Ada.id, name: 'Ada' } });

		// the guest cannot bring it back, from their old replica or a synced one
		const restore = await synced();
		restore.doc.getMap('messages').set(posted.id, chatMessage(s.people.Gus.id, 'spam1', 'back'));
		expect(await write(gus, s.docs.chat, restore.take())).toMatchObject({ type: MessageType.Nack, reason: ReasonCode.NotOwner });
		// deleting from the old replica names only the guest's own, already replaced item: a no-op
		gusWriter.doc.getMap('messages').delete(posted.id);
		await write(gus, s.docs.chat, gusWriter.take());
		const mine = await synced();
		mine.doc.getMap('messages').delete(posted.id);
		expect(await write(gus, s.docs.chat, mine.take())).toMatchObject({ type: MessageType.Nack, reason: ReasonCode.NotOwner });
		expect((await serverView(relay, s.people.Bob.cookie, s.docs.chat)).json.messages[posted.id]).toMatchObject({ removed: { name: 'Ada' } });
	});

	it('a plain member cannot remove another\'s message, and an admin cannot sign a removal with another name', async () => {
		const { s, ada, bob, posted, synced } = await scene();
		const byBob = await synced();
		byBob.doc.getMap('messages').set(posted.id, removedChatMessage(posted, { id: s.people.Bob.id, name: 'Bob' }, Date.now()));
		expect(await write(bob, s.docs.chat, byBob.take())).toMatchObject({ type: MessageType.Nack, reason: ReasonCode.NotOwner });
		const forged = await synced();
		forged.doc.getMap('messages').set(posted.id, removedChatMessage(posted, { id: s.people.Ada.id, name: 'Bob' }, Date.now()));
		expect(await write(ada, s.docs.chat, forged.take())).toMatchObject({ type: MessageType.Nack, reason: ReasonCode.NotAuthor });
		const outright = await synced();
		outright.doc.getMap('messages').delete(posted.id);
		expect(await write(ada, s.docs.chat, outright.take())).toMatchObject({ type: MessageType.Nack, reason: ReasonCode.NotOwner });
		expect((await serverView(relay, s.people.Bob.cookie, s.docs.chat)).json.messages[posted.id]).toMatchObject({ text: posted.text });
	});
});
