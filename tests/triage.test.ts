// Triage on the server: close/reopen/snooze through setConversationStatus (members only), inbound
// mail reopening a closed conversation, and the snooze scheduler waking stored snoozes.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { eq } from 'drizzle-orm';
import * as Y from 'yjs';
import { startRelay, type TestRelay } from './helpers/relay.ts';
import { receiveMail } from '../src/lib/server/mail/inbound.ts';
import { conversations } from '../src/lib/server/db/schema.ts';
import { getRecords } from '../src/lib/shared/records.ts';
import { syncInbox } from '../src/lib/server/conversations.ts';
import { scheduleSnoozeWakeups, setConversationStatus, stopSnoozeWakeups } from '../src/lib/server/conversation-status.ts';
import { stopNotificationEmails } from '../src/lib/server/notifications.ts';

let relay: TestRelay;
let orgId: string;
let aliceId: string;
let noraId: string;
const limits = { maxMessageBytes: 2 * 1024 * 1024, maxAttachmentBytes: 64 * 1024, maxAttachments: 5 };

beforeEach(async () => {
	vi.spyOn(console, 'log').mockImplementation(() => {});
	relay = await startRelay();
	orgId = await relay.addOrg('Acme');
	aliceId = (await relay.addUser('Alice')).id;
	noraId = (await relay.addUser('Nora')).id;
	await relay.addMember(orgId, aliceId, 'owner');
});
afterEach(async () => {
	stopSnoozeWakeups(relay.database);
	stopNotificationEmails(relay.database);
	await relay.close();
	vi.restoreAllMocks();
});

async function inboxOf(userId: string) {
	await syncInbox(relay.database, userId);
	const doc = new Y.Doc();
	Y.applyUpdate(doc, await relay.endpoint.relay.readState(`u/${userId}/inbox`));
	return getRecords(doc, 'inbox', 'conversations');
}
async function statusOf(id: string) {
	const [row] = await relay.database.db.select().from(conversations).where(eq(conversations.id, id));
	return { status: row.status, snoozeUntil: row.snoozeUntil, unlessReply: row.snoozeUnlessReply };
}
const mail = (id: string, inReplyTo?: string) =>
	Buffer.from(
		`From: Dana <dana@example.com>\r\nTo: support@acme.test\r\nSubject: Lamp\r\nMessage-ID: <${id}@example.com>\r\n` +
			(inReplyTo ? `In-Reply-To: <${inReplyTo}@example.com>\r\n` : '') +
			`Content-Type: text/plain\r\n\r\nThe glass is cracked.\r\n`
	);

describe('setConversationStatus', () => {
	it('a member closes and reopens; members\' inbox entries carry the status, a guest\'s never does', async () => {
		const id = await relay.addConversation(orgId);
		await relay.addGuest(id, noraId);
		expect(await setConversationStatus(relay.database, { conversationId: id, actorId: aliceId, status: 'closed' })).toMatchObject({ ok: true, changed: true });
		expect((await inboxOf(aliceId)).get(id)?.status).toBe('closed');
		const guestEntry = (await inboxOf(noraId)).get(id);
		expect(guestEntry).toBeDefined();
		expect(Object.keys(guestEntry!)).not.toContain('status');
		await setConversationStatus(relay.database, { conversationId: id, actorId: aliceId, status: 'open' });
		expect((await inboxOf(aliceId)).get(id)?.status).toBe('open');
	});

	it('refuses a guest with a clear message and changes nothing; bad input changes nothing', async () => {
		const id = await relay.addConversation(orgId);
		await relay.addGuest(id, noraId);
		const refused = await setConversationStatus(relay.database, { conversationId: id, actorId: noraId, status: 'closed' });
		expect(refused).toEqual({ ok: false, status: 403, message: expect.stringContaining('Only members') });
		const outsider = await setConversationStatus(relay.database, { conversationId: id, actorId: (await relay.addUser('Eve')).id, status: 'closed' });
		expect(outsider).toMatchObject({ ok: false, status: 404 });
		const past = await setConversationStatus(relay.database, { conversationId: id, actorId: aliceId, status: 'snoozed', snoozeUntil: Date.now() - 1000 });
		expect(past).toMatchObject({ ok: false, status: 400 });
		expect(await statusOf(id)).toEqual({ status: 'open', snoozeUntil: null, unlessReply: false });
	});

	it('new inbound mail reopens a closed conversation for everyone', async () => {
		const first = await receiveMail(relay.database, mail('m1'), [orgId], limits);
		if (!first.ok) throw new Error('not received');
		const id = first.deliveries[0].conversationId;
		await setConversationStatus(relay.database, { conversationId: id, actorId: aliceId, status: 'closed' });
		expect((await statusOf(id)).status).toBe('closed');
		await receiveMail(relay.database, mail('m2', 'm1'), [orgId], limits);
		expect((await statusOf(id)).status).toBe('open');
		expect((await inboxOf(aliceId)).get(id)?.status).toBe('open');
	});

	it('inbound mail ends an "unless someone replies" snooze but not a plain one', async () => {
		const a = await receiveMail(relay.database, mail('a1'), [orgId], limits);
		const b = await receiveMail(relay.database, mail('b1'), [orgId], limits);
		if (!a.ok || !b.ok) throw new Error('not received');
		const [plain, unless] = [a.deliveries[0].conversationId, b.deliveries[0].conversationId];
		const until = Date.now() + 3600_000;
		await setConversationStatus(relay.database, { conversationId: plain, actorId: aliceId, status: 'snoozed', snoozeUntil: until });
		await setConversationStatus(relay.database, { conversationId: unless, actorId: aliceId, status: 'snoozed', snoozeUntil: until, unlessReply: true });
		await receiveMail(relay.database, mail('a2', 'a1'), [orgId], limits);
		await receiveMail(relay.database, mail('b2', 'b1'), [orgId], limits);
		expect(await statusOf(plain)).toEqual({ status: 'snoozed', snoozeUntil: until, unlessReply: false });
		expect(await statusOf(unless)).toEqual({ status: 'open', snoozeUntil: null, unlessReply: false });
	});
});

describe('snooze scheduler', () => {
	it('wakes, at start, a snooze that came due while the server was down, and a later one on time', async () => {
		const overdue = await relay.addConversation(orgId);
		const soon = await relay.addConversation(orgId);
		// as a previous run left them: stored wake-up times, no timer in this process
		await relay.database.db.update(conversations).set({ status: 'snoozed', snoozeUntil: Date.now() - 60_000 }).where(eq(conversations.id, overdue));
		await relay.database.db.update(conversations).set({ status: 'snoozed', snoozeUntil: Date.now() + 400 }).where(eq(conversations.id, soon));
		scheduleSnoozeWakeups(relay.database);
		await vi.waitFor(async () => expect((await statusOf(overdue)).status).toBe('open'), { timeout: 2000 });
		expect((await statusOf(soon)).status).toBe('snoozed');
		await vi.waitFor(async () => expect((await statusOf(soon)).status).toBe('open'), { timeout: 5000 });
		expect((await inboxOf(aliceId)).get(soon)?.status).toBe('open');
	});
});
