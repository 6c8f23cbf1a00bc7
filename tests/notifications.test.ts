// Mentions, notification settings and batched notification email, through a real relay (chat and
// internal writes by real protocol clients), a real database file and a real SMTP sink.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { startRelay, type TestRelay, type RawClient } from './helpers/relay.ts';
import { open, until, write } from './helpers/sync-ops.ts';
import { createWriter } from './helpers/ydoc.ts';
import { createSender, startSmtpSink, type SmtpSink } from './helpers/mail.ts';
import { startInboundSmtp, type InboundSmtp } from '../src/lib/server/mail/smtp-listener.ts';
import { conversationParticipants, notifications, organizations } from '../src/lib/server/db/schema.ts';
import {
	countUnreadNotifications,
	flushNotificationEmails,
	listNotifications,
	markNotificationsRead,
	stopNotificationEmails,
	writeNotificationSetting
} from '../src/lib/server/notifications.ts';
import { MessageType } from '../src/lib/shared/protocol.ts';

const INBOX = 'support@acme.test';
let relay: TestRelay;
let sink: SmtpSink;
let smtp: InboundSmtp;
let orgId: string;
let conv: string;
let other: string;
type Person = { id: string; cookie: string; client: RawClient; writers: Map<string, ReturnType<typeof createWriter>> };
let alice: Person, bob: Person, carol: Person, gus: Person, otherGuest: Person;
const saved = { smtp: process.env.SMTP_URL, quiet: process.env.NOTIFY_QUIET_MS, origin: process.env.ORIGIN };
let clientIds = 1000;

async function person(name: string): Promise<Person> {
	const user = await relay.addUser(name);
	return { ...user, client: null as unknown as RawClient, writers: new Map() };
}

/** One writing replica per person and document, as a real client has. */
function writer(p: Person, doc: string) {
	let w = p.writers.get(doc);
	if (!w) p.writers.set(doc, (w = createWriter(clientIds++)));
	return w;
}

async function connect(p: Person, docs: string[]) {
	p.client = await relay.connect(p.cookie);
	for (const doc of docs) await open(p.client, doc);
}

/** Writes a chat message as a real client would; resolves when the relay acknowledged it. */
async function chat(p: Person, conversationId: string, text: string, mentions: string[] = []) {
	const id = `m${clientIds++}`;
	const key = `${p.id}:${id}`;
	const w = writer(p, `c/${conversationId}/chat`);
	w.doc.getMap('messages').set(key, { id: key, authorId: p.id, text, mentions, createdAt: Date.now() });
	const answer = await write(p.client, `c/${conversationId}/chat`, w.take());
	expect(answer.type).toBe(MessageType.Ack);
}

async function notificationsOf(userId: string) {
	return relay.database.db.select().from(notifications).where(eq(notifications.userId, userId));
}

beforeEach(async () => {
	vi.spyOn(console, 'log').mockImplementation(() => {});
	process.env.NOTIFY_QUIET_MS = '150';
	process.env.ORIGIN = 'https://parley.example';
	relay = await startRelay();
	sink = await startSmtpSink();
	process.env.SMTP_URL = sink.url;
	orgId = await relay.addOrg('Acme Support');
	await relay.database.db.update(organizations).set({ inboxAddress: INBOX }).where(eq(organizations.id, orgId));
	smtp = await startInboundSmtp(relay.database, { port: 0, log: () => {} });
	alice = await person('Alice Archer');
	bob = await person('Bob Baker');
	carol = await person('Carol CANARY-ASSIGNEE');
	gus = await person('Gus Guest');
	otherGuest = await person('Olive Other');
	for (const p of [alice, bob, carol]) await relay.addMember(orgId, p.id);
	conv = await relay.addConversation(orgId, { subject: 'Lamp order' });
	other = await relay.addConversation(orgId, { subject: 'CANARY-OTHER-CONVERSATION' });
	await relay.database.db.insert(conversationParticipants).values([
		{ conversationId: conv, userId: alice.id, role: 'member', addedAt: Date.now() },
		{ conversationId: conv, userId: bob.id, role: 'member', addedAt: Date.now() }
	]);
	await relay.addGuest(conv, gus.id);
	await relay.addGuest(other, otherGuest.id);
	await connect(alice, [`c/${conv}/chat`, `c/${conv}/internal`]);
	await connect(bob, [`c/${conv}/chat`, `c/${conv}/internal`]);
	await connect(gus, [`c/${conv}/chat`]);
});
afterEach(async () => {
	for (const [key, value] of [['SMTP_URL', saved.smtp], ['NOTIFY_QUIET_MS', saved.quiet], ['ORIGIN', saved.origin]] as const) {
		if (value === undefined) delete process.env[key];
		else process.env[key] = value;
	}
	stopNotificationEmails(relay.database);
	await smtp.close();
	await sink.close();
	await relay.close();
	vi.restoreAllMocks();
});

describe('mentions', () => {
	it('a member mentioning an org member brings them into the conversation and notifies them; the author is not notified', async () => {
		await chat(alice, conv, '@Carol can you check the warehouse?', [carol.id]);
		await until(async () => (await notificationsOf(carol.id)).some((n) => n.kind === 'mention'), 'Carol is notified');
		const participants = await relay.database.db.select().from(conversationParticipants).where(and(eq(conversationParticipants.conversationId, conv), eq(conversationParticipants.userId, carol.id)));
		expect(participants).toEqual([expect.objectContaining({ role: 'member' })]);
		expect((await notificationsOf(carol.id))[0]).toMatchObject({ kind: 'mention', actorId: alice.id, text: 'Alice Archer mentioned you: @Carol can you check the warehouse?' });
		expect(await notificationsOf(alice.id)).toEqual([]);
	});

	it('a guest can mention only people already in the conversation: others are ignored and not added', async () => {
		await chat(gus, conv, 'Hello @Alice @Carol @Olive', [alice.id, carol.id, otherGuest.id]);
		await until(async () => (await notificationsOf(alice.id)).length > 0, 'Alice is notified');
		// Bob's activity notification proves the hook ran to completion before we look for what must not exist
		await chat(bob, conv, 'noted');
		await until(async () => (await notificationsOf(gus.id)).length > 0, 'the guest hears of Bob');
		expect((await notificationsOf(alice.id)).map((n) => n.kind)).toEqual(['mention']);
		expect(await notificationsOf(carol.id)).toEqual([]);
		expect(await notificationsOf(otherGuest.id)).toEqual([]);
		const ids = (await relay.database.db.select().from(conversationParticipants).where(eq(conversationParticipants.conversationId, conv))).map((p) => p.userId);
		expect(ids).not.toContain(carol.id);
		expect(ids).not.toContain(otherGuest.id);
	});
});

describe('settings', () => {
	it('by default guests hear all activity and members only what they are assigned to; assignment notifies the assignee', async () => {
		await chat(bob, conv, 'first');
		await until(async () => (await notificationsOf(gus.id)).length === 1, 'the guest hears of it');
		expect(await notificationsOf(alice.id)).toEqual([]);

		const internal = writer(bob, `c/${conv}/internal`);
		internal.doc.getMap('assignees').set(alice.id, { userId: alice.id, assignedBy: bob.id, assignedAt: Date.now() });
		expect((await write(bob.client, `c/${conv}/internal`, internal.take())).type).toBe(MessageType.Ack);
		await until(async () => (await notificationsOf(alice.id)).some((n) => n.kind === 'assigned'), 'Alice hears she was assigned');

		await chat(bob, conv, 'second');
		await until(async () => (await notificationsOf(alice.id)).some((n) => n.kind === 'activity'), 'Alice, now assigned, hears of activity');
		expect((await notificationsOf(gus.id)).map((n) => n.kind)).toEqual(['activity', 'activity']);
	});

	it('respects per-conversation and default settings, and a member\'s "all" default covers new email conversations', async () => {
		await writeNotificationSetting(relay.database, gus.id, conv, 'none');
		await writeNotificationSetting(relay.database, alice.id, '', 'all');
		await writeNotificationSetting(relay.database, carol.id, '', 'none');
		await chat(bob, conv, 'hello @Gus', [gus.id]);
		await until(async () => (await notificationsOf(alice.id)).length === 1, 'Alice (default all) hears of it');
		expect(await notificationsOf(gus.id)).toEqual([]); // none: not even the mention

		await createSender(smtp.port).sendMail({ from: 'Dana <dana@example.com>', to: INBOX, subject: 'New question', text: 'Is the shop open?' });
		await until(async () => (await notificationsOf(alice.id)).length === 2, 'Alice hears of the new email');
		expect((await notificationsOf(alice.id))[1].text).toBe('Email from Dana: Is the shop open?');
		expect(await notificationsOf(bob.id)).toEqual([]);
		expect(await notificationsOf(carol.id)).toEqual([]);

		// back to the default: the guest hears again
		await writeNotificationSetting(relay.database, gus.id, conv, null);
		await chat(bob, conv, 'again');
		await until(async () => (await notificationsOf(gus.id)).length === 1, 'the guest hears again');
	});

	it('lists in-app notifications newest first, only of conversations the user can still open, and marks them read', async () => {
		await chat(bob, conv, 'one');
		await chat(bob, conv, 'two');
		await until(async () => (await notificationsOf(gus.id)).length === 2, 'two notifications');
		const list = await listNotifications(relay.database, gus.id);
		expect(list.map((n) => n.text)).toEqual(['Bob Baker: two', 'Bob Baker: one']);
		expect(list[0]).toMatchObject({ conversationId: conv, subject: 'Lamp order', readAt: null });
		await markNotificationsRead(relay.database, gus.id);
		expect((await listNotifications(relay.database, gus.id)).every((n) => n.readAt !== null)).toBe(true);
		await relay.database.db.delete(conversationParticipants).where(eq(conversationParticipants.userId, gus.id));
		expect(await listNotifications(relay.database, gus.id)).toEqual([]);
	});

	it("opening the conversation anywhere (the user's read marker) marks its notifications read; mark unread does not", async () => {
		await chat(bob, conv, 'one');
		await until(async () => (await notificationsOf(gus.id)).length === 1, 'a notification');
		expect(await countUnreadNotifications(relay.database, gus.id)).toBe(1);
		// the inbox activity lands after a short debounce; a reader's marker then reaches it
		const activity = async () => Number((await relay.database.client.execute({ sql: 'SELECT last_activity_at FROM conversations WHERE id = ?', args: [conv] })).rows[0].last_activity_at);
		const before = await activity();
		await until(async () => (await activity()) > before, 'inbox activity stored');
		const at = await activity();
		const privateDoc = `u/${gus.id}/private`;
		await open(gus.client, privateDoc);
		const w = writer(gus, privateDoc);
		// "mark unread" puts the marker just before the latest activity: still unread
		w.doc.getMap('reads').set(conv, { conversationId: conv, lastReadAt: at - 1 });
		expect((await write(gus.client, privateDoc, w.take())).type).toBe(MessageType.Ack);
		await new Promise((r) => setTimeout(r, 300));
		expect((await notificationsOf(gus.id)).map((n) => n.readAt)).toEqual([null]);
		w.doc.getMap('reads').set(conv, { conversationId: conv, lastReadAt: at });
		expect((await write(gus.client, privateDoc, w.take())).type).toBe(MessageType.Ack);
		await until(async () => (await notificationsOf(gus.id))[0].readAt !== null, 'read once opened');
		expect(await countUnreadNotifications(relay.database, gus.id)).toBe(0);
	});
});

describe('notification email', () => {
	it('batches activity per conversation and recipient after the quiet period, links to the conversation and settings, and never mails the author', async () => {
		await writeNotificationSetting(relay.database, bob.id, conv, 'all');
		await chat(bob, conv, 'first of three');
		await chat(bob, conv, 'second of three');
		await chat(bob, conv, 'third of three');
		await sink.waitFor(1, 5000);
		await new Promise((r) => setTimeout(r, 400));
		expect(sink.received).toHaveLength(1);
		const [mail] = sink.received;
		expect(mail.to).toEqual([`${gus.id}@test.example`]);
		expect(mail.parsed.subject).toBe('[Acme Support] Lamp order');
		const text = mail.parsed.text!;
		expect(text.indexOf('first of three')).toBeLessThan(text.indexOf('third of three'));
		expect(text).toContain(`https://parley.example/c/${conv}`);
		expect(text).toContain('https://parley.example/settings/notifications');
		// a later batch is a new email; Bob, the author, never gets one
		await chat(alice, conv, 'a fourth, by Alice');
		await sink.waitFor(3, 5000);
		await new Promise((r) => setTimeout(r, 400));
		expect(sink.received).toHaveLength(3);
		expect(sink.received.slice(1).map((m) => m.to[0]).sort()).toEqual([`${bob.id}@test.example`, `${gus.id}@test.example`].sort());
		expect(sink.received[1].parsed.text).toContain('a fourth, by Alice');
	});

	it('strips chat formatting to plain text in the email', async () => {
		await chat(bob, conv, '**ship** it _today_, see [tracking](https://track.example/1)');
		await sink.waitFor(1, 5000);
		const text = sink.received[0].parsed.text!;
		expect(text).toContain('- Bob Baker: ship it today, see tracking (https://track.example/1)');
		expect(text).not.toContain('**');
		expect(text).not.toContain('_today_');
	});

	it('a guest\'s email holds nothing internal: no labels, assignees, task assignment or other conversations', async () => {
		stopNotificationEmails(relay.database);
		process.env.NOTIFY_QUIET_MS = '600000'; // flushed by hand below
		const server = relay.endpoint.relay;
		await server.serverEdit(`o/${orgId}/labels`, (d) => d.getMap('labels').set('canary', { id: 'canary', name: 'CANARY-LABEL', color: '#ff0000', createdBy: alice.id }));
		await server.serverEdit(`c/${conv}/internal`, (d) => {
			d.getMap('labels').set('canary', { labelId: 'canary', appliedBy: alice.id, appliedAt: Date.now() });
			d.getMap('taskAssignees').set('t1', { taskId: 't1', userId: carol.id, assignedBy: alice.id, assignedAt: Date.now() });
		});
		// a real assignment by a client: Carol is notified (a member), the guest must not hear of it
		const internal = writer(bob, `c/${conv}/internal`);
		internal.doc.getMap('assignees').set(carol.id, { userId: carol.id, assignedBy: bob.id, assignedAt: Date.now() });
		expect((await write(bob.client, `c/${conv}/internal`, internal.take())).type).toBe(MessageType.Ack);
		await until(async () => (await notificationsOf(carol.id)).some((n) => n.kind === 'assigned'), 'Carol hears she was assigned');
		// activity in the other conversation and in this one
		await connect(otherGuest, [`c/${other}/chat`]);
		await chat(alice, conv, 'The replacement ships today');
		await createSender(smtp.port).sendMail({ from: 'Dana <dana@example.com>', to: INBOX, subject: 'CANARY-OTHER-EMAIL', text: 'unrelated' });
		await until(async () => (await notificationsOf(gus.id)).length === 1 && (await notificationsOf(carol.id)).length >= 2, 'notifications recorded');

		expect(await flushNotificationEmails(relay.database, { quietMs: 0, now: Date.now() + 1 })).toBeGreaterThanOrEqual(2);
		const toGuest = sink.received.filter((m) => m.to[0] === `${gus.id}@test.example`);
		expect(toGuest).toHaveLength(1);
		const seen = `${toGuest[0].parsed.subject}\n${toGuest[0].parsed.text}`;
		expect(seen).toContain('The replacement ships today');
		expect(seen).not.toMatch(/CANARY|assign/i);
		expect(toGuest[0].raw).not.toMatch(/CANARY/i);
		// the member's email does say she was assigned (so the canary test is not vacuous)
		const toCarol = sink.received.find((m) => m.to[0] === `${carol.id}@test.example`);
		expect(toCarol?.parsed.text).toContain('assigned this conversation to you');
	});
});
