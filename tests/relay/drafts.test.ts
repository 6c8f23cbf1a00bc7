// Shared reply drafts over the real relay: `c/<id>/drafts` is edited by the organization's members
// together and, like `internal`, never sent to a guest: her socket is refused the document and no
// frame she receives holds a byte of a draft, while a teammate's socket gets every keystroke.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { MessageType } from '../../src/lib/shared/protocol.ts';
import { ConversationLane, conversationDoc } from '../../src/lib/shared/doc-names.ts';
import { open, setUp, startRelay, until, write, type TestRelay } from './fixture.ts';
import { applyRemote, createWriter } from '../helpers/ydoc.ts';

const CANARY = 'DRAFTCANARYz';
let relay: TestRelay;
beforeAll(async () => {
	relay = await startRelay();
});
afterAll(async () => {
	await relay.close();
});

const draft = (editedBy: string, text: string) => ({
	replyTo: 'msg1',
	id: 'draft0000001',
	mode: 'reply' as const,
	to: 'dana@customer.test',
	cc: '',
	text,
	quote: true,
	editedBy,
	editedAt: Date.now()
});

describe('shared reply drafts', () => {
	it('reach every member live and never a guest', async () => {
		const s = await setUp(relay, { members: ['Alice', 'Bob'], guests: ['Gus'] });
		const [alice, bob] = [s.people.Alice, s.people.Bob];
		const drafts = conversationDoc(s.conversation, ConversationLane.Drafts);
		const aliceClient = await s.connect('Alice');
		const bobClient = await s.connect('Bob');
		const gusClient = await s.connect('Gus');
		expect((await open(aliceClient, drafts)).role).toBe('member');
		expect((await open(bobClient, drafts)).role).toBe('member');
		for (const doc of [s.docs.thread, s.docs.chat, s.docs.tasks]) expect((await open(gusClient, doc)).role).toBe('guest');
		// refused like internal: the same answer as for a document that does not exist
		expect((await open(gusClient, drafts)).role).toBe('none');

		// Alice types, Bob continues her draft: each write names its writer
		const aliceDoc = createWriter(8101);
		aliceDoc.doc.getMap('replies').set('msg1', draft(alice.id, `Hello ${CANARY} from Alice`));
		expect((await write(aliceClient, drafts, aliceDoc.take())).type).toBe(MessageType.Ack);
		const bobDoc = createWriter(8102);
		await until(() => bobClient.raw.some((b) => new TextDecoder().decode(b).includes(`${CANARY} from Alice`)), 'Bob receives Alice’s text');
		for (const f of bobClient.frames) if (f.type === MessageType.Sync && f.doc === drafts) applyRemote(bobDoc.doc, f.data);
		expect((bobDoc.doc.getMap('replies').get('msg1') as { text: string }).text).toBe(`Hello ${CANARY} from Alice`);
		bobDoc.doc.getMap('replies').set('msg1', draft(bob.id, `Hello ${CANARY} from Alice, and Bob`));
		expect((await write(bobClient, drafts, bobDoc.take())).type).toBe(MessageType.Ack);

		// claiming to be someone else is refused, and so is any write by the guest
		bobDoc.doc.getMap('replies').set('msg1', draft(alice.id, 'forged'));
		const forged = await write(bobClient, drafts, bobDoc.take());
		expect(forged.type).toBe(MessageType.Nack);
		const gusDoc = createWriter(8103);
		gusDoc.doc.getMap('replies').set('msg1', draft(s.people.Gus.id, `${CANARY} by the guest`));
		expect((await write(gusClient, drafts, gusDoc.take())).type).toBe(MessageType.Nack);

		const stored = new Y.Doc();
		Y.applyUpdate(stored, await relay.database.relay.readState(drafts));
		expect(stored.getMap<{ text: string; editedBy: string }>('replies').get('msg1')).toMatchObject({ text: `Hello ${CANARY} from Alice, and Bob`, editedBy: bob.id });

		await relay.endpoint.relay.drain();
		await new Promise((resolve) => setTimeout(resolve, 30));
		const decoder = new TextDecoder();
		const seen = gusClient.raw.map((b) => decoder.decode(b)).join('\n');
		expect(seen).not.toContain(CANARY);
		expect(seen).not.toContain('dana@customer.test');
		for (const frame of gusClient.frames) {
			if ((frame.type === MessageType.Access && frame.role === 'none') || frame.type === MessageType.Nack) continue;
			expect(frame.doc).not.toContain('/drafts');
		}
		// Alice's socket carried Bob's continuation (the canary is real)
		await until(() => aliceClient.raw.some((b) => decoder.decode(b).includes('and Bob')), 'Alice receives Bob’s text');
	});
});
