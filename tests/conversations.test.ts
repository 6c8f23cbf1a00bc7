import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { eq } from 'drizzle-orm';
import { conversationParticipants, users } from '../src/lib/server/db/schema.ts';
import { createChannel, readConversationView, syncInbox } from '../src/lib/server/conversations.ts';
import { seedDemoDocuments, seedDemoIfEmpty, DemoUsers } from '../src/lib/server/seed.ts';
import { startRelay, type TestRelay } from './helpers/relay.ts';

let relay: TestRelay;
let orgId: string;
let alice: { id: string };
let gus: { id: string; cookie: string };
let outsider: { id: string };
let conversationId: string;

async function inboxOf(userId: string): Promise<Record<string, { role: string; subject: string }>> {
	const doc = new Y.Doc();
	Y.applyUpdate(doc, await relay.endpoint.relay.readState(`u/${userId}/inbox`));
	return doc.getMap('conversations').toJSON();
}

beforeAll(async () => {
	relay = await startRelay();
	orgId = await relay.addOrg('Acme');
	alice = await relay.addUser('Alice');
	gus = await relay.addUser('Gus Guest');
	outsider = await relay.addUser('Olly');
	await relay.addMember(orgId, alice.id, 'member');
	conversationId = await relay.addConversation(orgId, { subject: 'Broken lamp' });
	await relay.addGuest(conversationId, gus.id);
});
afterAll(() => relay.close());

describe('inbox documents', () => {
	it('list what each user may open, with their role', async () => {
		await syncInbox(relay.database, alice.id);
		await syncInbox(relay.database, gus.id);
		await syncInbox(relay.database, outsider.id);
		expect((await inboxOf(alice.id))[conversationId]).toMatchObject({ role: 'member', subject: 'Broken lamp' });
		expect((await inboxOf(gus.id))[conversationId]).toMatchObject({ role: 'guest' });
		expect(await inboxOf(outsider.id)).toEqual({});
	});

	it('drop a conversation once its guest is removed', async () => {
		const other = await relay.addConversation(orgId, { subject: 'Temp' });
		await relay.addGuest(other, gus.id);
		await syncInbox(relay.database, gus.id);
		expect(Object.keys(await inboxOf(gus.id))).toContain(other);
		await relay.database.db.delete(conversationParticipants).where(eq(conversationParticipants.conversationId, other));
		await syncInbox(relay.database, gus.id);
		expect(Object.keys(await inboxOf(gus.id))).not.toContain(other);
	});
});

describe('creating channels', () => {
	it('lets a member create one, which appears in their inbox', async () => {
		const result = await createChannel(relay.database, alice.id, orgId, '  Contractors  ', 'Alice');
		expect(result.ok).toBe(true);
		if (!result.ok) return;
		expect((await inboxOf(alice.id))[result.id]).toMatchObject({ subject: 'Contractors', role: 'member' });
		const thread = new Y.Doc();
		Y.applyUpdate(thread, await relay.endpoint.relay.readState(`c/${result.id}/thread`));
		expect([...thread.getMap('events').values()].map((e) => (e as { type: string }).type)).toEqual(['conversation-created']);
	});

	it.each([
		['a guest', () => gus.id, 'Side channel', 403],
		['an outsider', () => outsider.id, 'Side channel', 403],
		['anyone, with an empty name', () => alice.id, '   ', 400],
		['anyone, with an oversized name', () => alice.id, 'x'.repeat(201), 400]
	])('refuses %s', async (_who, user, subject, status) => {
		const result = await createChannel(relay.database, user(), orgId, subject, 'X');
		expect(result).toMatchObject({ ok: false, status });
	});
});

describe('the conversation view', () => {
	it('shows a guest the participants without emails, and no member list', async () => {
		const view = await readConversationView(relay.database.client, gus.id, conversationId);
		expect(view?.grant.role).toBe('guest');
		expect(view?.members).toEqual([]);
		expect(JSON.stringify(view)).not.toContain('@');
		// guests may mention only people already in the conversation
		expect(view?.mentionable.map((p) => p.id)).not.toContain(alice.id);
	});

	it('gives a member the organization to mention and assign', async () => {
		const view = await readConversationView(relay.database.client, alice.id, conversationId);
		expect(view?.grant.role).toBe('member');
		expect(view?.members.map((m) => m.id)).toContain(alice.id);
		expect(view?.mentionable.map((p) => p.id)).toContain(gus.id);
	});

	it('is null for someone who may not open it, and for a conversation that does not exist', async () => {
		expect(await readConversationView(relay.database.client, outsider.id, conversationId)).toBeNull();
		expect(await readConversationView(relay.database.client, alice.id, 'missing')).toBeNull();
	});
});

describe('the demo seed', () => {
	it('writes conversation documents and inboxes', async () => {
		const fresh = await startRelay();
		try {
			await seedDemoIfEmpty(fresh.database.db);
			await seedDemoDocuments(fresh.database);
			const [bob] = await fresh.database.db.select().from(users).where(eq(users.email, DemoUsers.bob.email));
			const inbox = new Y.Doc();
			Y.applyUpdate(inbox, await fresh.endpoint.relay.readState(`u/${bob.id}/inbox`));
			const entries = Object.values(inbox.getMap('conversations').toJSON()) as Array<{ id: string; subject: string }>;
			expect(entries.map((e) => e.subject).sort()).toEqual(['Order #1042 arrived damaged', 'Website redesign (contractors)']);
			const order = entries.find((e) => e.subject.startsWith('Order'))!;
			const thread = new Y.Doc();
			Y.applyUpdate(thread, await fresh.endpoint.relay.readState(`c/${order.id}/thread`));
			expect(thread.getMap('messages').size).toBe(1);
		} finally {
			await fresh.close();
		}
	});
});

describe('activity', () => {
	it('shows the newest chat message as the snippet: live in open inboxes, and in the others at their next load', async () => {
		const { MessageType, SyncType, writeSyncStep1, writeWrite } = await import('../src/lib/shared/protocol.ts');
		const { createWriter, chatMessage } = await import('./helpers/ydoc.ts');
		const bob = await relay.addUser('Bob');
		await relay.addMember(orgId, bob.id);
		await syncInbox(relay.database, gus.id);
		await syncInbox(relay.database, alice.id);
		const before = (await inboxOf(alice.id))[conversationId] as unknown as { lastActivityAt: number };
		// the guest has the app open: his inbox document is subscribed
		const gusClient = await relay.connect(gus.cookie);
		gusClient.send(writeSyncStep1(`u/${gus.id}/inbox`, new Uint8Array([0])));
		await gusClient.waitFor((f) => f.type === MessageType.Sync && f.syncType === SyncType.Step2);
		const client = await relay.connect(bob.cookie);
		const doc = `c/${conversationId}/chat`;
		client.send(writeSyncStep1(doc, new Uint8Array([0])));
		await client.waitFor((f) => f.type === MessageType.Sync && f.syncType === SyncType.Step2);
		const writer = createWriter(9191);
		const message = chatMessage(bob.id, 'snip1', 'The replacement ships tomorrow');
		writer.doc.getMap('messages').set(message.id, message);
		client.send(writeWrite(doc, 1, writer.take()));
		await client.waitFor((f) => f.type === MessageType.Ack);
		await expect
			.poll(async () => ((await inboxOf(gus.id))[conversationId] as unknown as { snippet: string }).snippet, { timeout: 5000 })
			.toBe('Bob: The replacement ships tomorrow');
		// Alice is not connected: her inbox catches up when she next loads the app
		await syncInbox(relay.database, alice.id);
		const after = (await inboxOf(alice.id))[conversationId] as unknown as { snippet: string; lastActivityAt: number };
		expect(after.snippet).toBe('Bob: The replacement ships tomorrow');
		expect(after.lastActivityAt).toBeGreaterThan(before.lastActivityAt);
		client.close();
		gusClient.close();
	});
});
