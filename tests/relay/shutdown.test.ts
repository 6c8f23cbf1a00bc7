import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversations } from '../../src/lib/server/db/schema.ts';
import { MessageType, writeWrite } from '../../src/lib/shared/protocol.ts';
import { open, setUp, startRelay, type TestRelay } from './fixture.ts';
import { chatMessage, createWriter } from '../helpers/ydoc.ts';

// Inbox activity (snippet, last activity) is stored debounced, up to seconds after a message. A
// shutdown in that window must store it, not drop it: after a restart the inbox would be out of order.

let relay: TestRelay;
beforeAll(async () => {
	relay = await startRelay();
});
afterAll(() => relay.close());

describe('closing the sync endpoint', () => {
	it('stores the activity of a message sent just before, instead of dropping it', async () => {
		const s = await setUp(relay, { members: ['Alice'] });
		const { conversation: conversationId, docs: { chat } } = s;
		const alice = s.people.Alice;
		const client = await s.connect('Alice');
		await open(client, chat);
		const writer = createWriter(31337);
		writer.doc.getMap('messages').set(`${alice.id}:1`, chatMessage(alice.id, '1', 'Shipping the fix tonight'));
		client.send(writeWrite(chat, 1, writer.take()));
		await client.waitFor((f) => f.type === MessageType.Ack && f.writeId === 1);

		await relay.endpoint.close(); // well within the debounce of the inbox activity

		const [row] = await relay.database.db.select().from(conversations).where(eq(conversations.id, conversationId));
		expect(row.snippet).toBe('Alice: Shipping the fix tonight');
	});
});
