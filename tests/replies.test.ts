// Replies out through real SMTP both ways: a customer mails Parley's listener (nodemailer), a member
// answers through the mail module into an smtp-server sink, and the customer's answer threads back.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { eq } from 'drizzle-orm';
import * as Y from 'yjs';
import { startRelay, type TestRelay } from './helpers/relay.ts';
import { createSender, startSmtpSink, type SmtpSink } from './helpers/mail.ts';
import { startInboundSmtp, type InboundSmtp } from '../src/lib/server/mail/smtp-listener.ts';
import { REPLY_INTERRUPTED, STALE_SENDING_MS, sendReply, computeReplyRecipients } from '../src/lib/server/mail/replies.ts';
import { readAttachmentForUser } from '../src/lib/server/attachments.ts';
import { conversations, organizations, outgoingReplies } from '../src/lib/server/db/schema.ts';
import { getRecords } from '../src/lib/shared/records.ts';
import { stopNotificationEmails } from '../src/lib/server/notifications.ts';

const INBOX = 'support@acme.test';
let relay: TestRelay;
let smtp: InboundSmtp;
let sink: SmtpSink;
let orgId: string;
let alice: string;
let guest: string;
let outsider: string;
const savedSmtpUrl = process.env.SMTP_URL;

beforeEach(async () => {
	vi.spyOn(console, 'log').mockImplementation(() => {});
	relay = await startRelay();
	sink = await startSmtpSink();
	process.env.SMTP_URL = sink.url;
	orgId = await relay.addOrg('Acme Support');
	await relay.database.db.update(organizations).set({ inboxAddress: INBOX }).where(eq(organizations.id, orgId));
	alice = (await relay.addUser('Alice Archer')).id;
	await relay.addMember(orgId, alice);
	guest = (await relay.addUser('Gus Guest')).id;
	outsider = (await relay.addUser('Olga Outsider')).id;
	smtp = await startInboundSmtp(relay.database, { port: 0, log: () => {} });
});
afterEach(async () => {
	if (savedSmtpUrl === undefined) delete process.env.SMTP_URL;
	else process.env.SMTP_URL = savedSmtpUrl;
	await smtp.close();
	await sink.close();
	stopNotificationEmails(relay.database);
	await relay.close();
	vi.restoreAllMocks();
});

async function threadMessages(conversationId: string) {
	const doc = new Y.Doc();
	Y.applyUpdate(doc, await relay.endpoint.relay.readState(`c/${conversationId}/thread`));
	return [...getRecords(doc, 'thread', 'messages').values()].sort((a, b) => a.sentAt - b.sentAt);
}

/** Dana writes in; returns the conversation and the inbound record. */
async function customerWrites() {
	await createSender(smtp.port).sendMail({
		from: 'Dana Whitfield <dana@example.com>',
		to: INBOX,
		cc: 'Eve <eve@example.com>',
		subject: 'Broken lamp',
		messageId: '<lamp-1@example.com>',
		references: ['<older@example.com>'],
		text: 'The glass is cracked.\nPlease help.',
		attachments: [{ filename: 'photo.jpg', content: Buffer.from([1, 2, 3]), contentType: 'image/jpeg' }]
	});
	const [conv] = await relay.database.db.select().from(conversations);
	const [message] = await threadMessages(conv.id);
	return { conversationId: conv.id, message };
}

describe('replies out', () => {
	it('a member\'s reply arrives at the sink from the inbox address with In-Reply-To, References and the quote, and shows in the thread; the customer\'s answer threads back', async () => {
		const { conversationId, message } = await customerWrites();
		const result = await sendReply(relay.database, { replyId: 'reply-0001', conversationId, userId: alice, replyTo: message.id, mode: 'reply', text: 'We will send a new one.' });
		expect(result).toMatchObject({ ok: true, status: 'sent' });
		await sink.waitFor(1);
		const sent = sink.received[0].parsed;
		expect(sink.received[0].to).toEqual(['dana@example.com']);
		expect(sent.from?.value[0]).toMatchObject({ address: INBOX, name: 'Alice Archer (Acme Support)' });
		expect(sent.subject).toBe('Re: Broken lamp');
		expect(sent.inReplyTo).toBe('<lamp-1@example.com>');
		expect(sent.references).toEqual(['<older@example.com>', '<lamp-1@example.com>']);
		expect(sent.text).toContain('We will send a new one.');
		expect(sent.text).toContain('Dana Whitfield <dana@example.com> wrote:\n> The glass is cracked.\n> Please help.');

		const thread = await threadMessages(conversationId);
		expect(thread.map((m) => m.direction)).toEqual(['in', 'out']);
		expect(thread[1]).toMatchObject({ messageId: sent.messageId, to: [{ address: 'dana@example.com' }], subject: 'Re: Broken lamp' });

		// Dana answers Alice's reply: it lands in the same conversation
		await createSender(smtp.port).sendMail({ from: 'dana@example.com', to: INBOX, subject: 'Re: Broken lamp', inReplyTo: sent.messageId, references: [sent.messageId!], text: 'Thanks!' });
		expect(await relay.database.db.select().from(conversations)).toHaveLength(1);
		// (mail dates have whole seconds, so compare as a set)
		expect((await threadMessages(conversationId)).map((m) => m.text.trim().split('\n')[0]).sort()).toEqual(['Thanks!', 'The glass is cracked.', 'We will send a new one.']);
	});

	it('reply all copies everyone but our own inbox', async () => {
		const { conversationId, message } = await customerWrites();
		expect(computeReplyRecipients(message, 'replyAll', INBOX)).toEqual({ to: [{ name: 'Dana Whitfield', address: 'dana@example.com' }], cc: [{ name: 'Eve', address: 'eve@example.com' }] });
		await sendReply(relay.database, { replyId: 'reply-all-1', conversationId, userId: alice, replyTo: message.id, mode: 'replyAll', text: 'Both of you: on its way.', quote: false });
		await sink.waitFor(1);
		expect(sink.received[0].to.sort()).toEqual(['dana@example.com', 'eve@example.com']);
		expect(sink.received[0].parsed.text).not.toContain('wrote:');
	});

	it('a reply queued offline and posted twice (also at once) is sent exactly once', async () => {
		const { conversationId, message } = await customerWrites();
		const request = { replyId: 'offline-42abc', conversationId, userId: alice, replyTo: message.id, mode: 'reply' as const, text: 'Written on the train.' };
		const [a, b] = await Promise.all([sendReply(relay.database, request), sendReply(relay.database, request)]);
		expect([a, b].map((r) => r.ok)).toEqual([true, true]);
		const again = await sendReply(relay.database, request);
		expect(again).toEqual({ ok: true, status: 'already-sent' });
		await new Promise((r) => setTimeout(r, 200));
		expect(sink.received).toHaveLength(1);
		expect((await threadMessages(conversationId)).filter((m) => m.direction === 'out')).toHaveLength(1);
	});

	it('a send cut off by a server stop is reported as interrupted and never resent by itself; one in progress is left alone', async () => {
		const { conversationId, message } = await customerWrites();
		const request = { replyId: 'cutoff-0001', conversationId, userId: alice, replyTo: message.id, mode: 'reply' as const, text: 'Sent as the power went.' };
		// what a process killed mid-send leaves behind: the id claimed, status "sending", long ago
		await relay.database.db.insert(outgoingReplies).values({ id: request.replyId, conversationId, userId: alice, status: 'sending', createdAt: Date.now() - STALE_SENDING_MS - 1000 });
		for (let i = 0; i < 2; i++) expect(await sendReply(relay.database, request)).toEqual({ ok: false, status: 409, message: REPLY_INTERRUPTED });
		expect((await relay.database.db.select().from(outgoingReplies).where(eq(outgoingReplies.id, request.replyId)))[0].status).toBe('interrupted');
		// another attempt that is still within its time is left to finish
		const busy = { ...request, replyId: 'inflight-0001' };
		await relay.database.db.insert(outgoingReplies).values({ id: busy.replyId, conversationId, userId: alice, status: 'sending', createdAt: Date.now() });
		expect(await sendReply(relay.database, busy)).toEqual({ ok: true, status: 'sending' });
		await new Promise((r) => setTimeout(r, 200));
		expect(sink.received).toHaveLength(0);
	});

	it('a reply the mail server did not take is reported, not marked sent, and goes out once when tried again', async () => {
		vi.spyOn(console, 'error').mockImplementation(() => {});
		const { conversationId, message } = await customerWrites();
		const request = { replyId: 'flaky-00001', conversationId, userId: alice, replyTo: message.id, mode: 'reply' as const, text: 'Try me.' };
		process.env.SMTP_URL = 'smtp://127.0.0.1:1';
		const failed = await sendReply(relay.database, request);
		expect(failed).toMatchObject({ ok: false, status: 502, message: expect.stringContaining('It was not sent') });
		expect((await relay.database.db.select().from(outgoingReplies))[0].status).toBe('failed');
		expect((await threadMessages(conversationId)).filter((m) => m.direction === 'out')).toHaveLength(0);
		process.env.SMTP_URL = sink.url;
		expect(await sendReply(relay.database, request)).toMatchObject({ ok: true, status: 'sent' });
		expect(await sendReply(relay.database, request)).toMatchObject({ ok: true, status: 'already-sent' });
		await sink.waitFor(1);
		await new Promise((r) => setTimeout(r, 100));
		expect(sink.received).toHaveLength(1);
	});

	it('a guest is refused with a clear message and nothing is sent; a guest can download the attachment, an outsider cannot', async () => {
		const { conversationId, message } = await customerWrites();
		await relay.addGuest(conversationId, guest);
		const refused = await sendReply(relay.database, { replyId: 'guest-reply-1', conversationId, userId: guest, replyTo: message.id, mode: 'reply', text: 'Hi!' });
		expect(refused).toEqual({ ok: false, status: 403, message: expect.stringContaining('Guests cannot reply to external messages') });
		expect(await relay.database.db.select().from(outgoingReplies)).toHaveLength(0);
		expect(sink.received).toHaveLength(0);

		const [attachment] = message.attachments;
		expect(attachment).toMatchObject({ name: 'photo.jpg', size: 3, contentType: 'image/jpeg' });
		const file = await readAttachmentForUser(relay.database, guest, attachment.id);
		expect([...file!.data]).toEqual([1, 2, 3]);
		expect(await readAttachmentForUser(relay.database, outsider, attachment.id)).toBeNull();
		expect(await readAttachmentForUser(relay.database, guest, 'no-such-attachment')).toBeNull();
		// an outsider is told the conversation does not exist
		expect(await sendReply(relay.database, { replyId: 'outsider-01', conversationId, userId: outsider, replyTo: message.id, mode: 'reply', text: 'x' })).toMatchObject({ ok: false, status: 404 });
	});

	it('goes to the To and Cc the member edited, never to our own inbox, and the thread shows the Cc', async () => {
		const { conversationId, message } = await customerWrites();
		const result = await sendReply(relay.database, {
			replyId: 'edited-rcpt-1', conversationId, userId: alice, replyTo: message.id, mode: 'reply', text: 'Looping in the warehouse.',
			to: 'Dana Whitfield <dana@example.com>', cc: `warehouse@example.org, ${INBOX.toUpperCase()}, dana@example.com`
		});
		expect(result).toMatchObject({ ok: true, status: 'sent' });
		await sink.waitFor(1);
		expect(sink.received[0].to.sort()).toEqual(['dana@example.com', 'warehouse@example.org']);
		expect(sink.received[0].parsed.cc).toMatchObject({ value: [{ address: 'warehouse@example.org' }] });
		const [, out] = await threadMessages(conversationId);
		expect(out).toMatchObject({ to: [{ address: 'dana@example.com' }], cc: [{ address: 'warehouse@example.org' }] });
	});

	it('refuses a wrong or empty To/Cc with the entry named, and sends nothing', async () => {
		const { conversationId, message } = await customerWrites();
		const base = { conversationId, userId: alice, replyTo: message.id, mode: 'reply' as const, text: 'ok' };
		expect(await sendReply(relay.database, { ...base, replyId: 'bad-rcpt-1', to: 'dana@example.com, dana at example' })).toEqual({ ok: false, status: 400, message: 'To: “dana at example” is not an email address.' });
		expect(await sendReply(relay.database, { ...base, replyId: 'bad-rcpt-2', to: '', cc: 'eve@example.com' })).toEqual({ ok: false, status: 400, message: 'Add at least one recipient in To.' });
		expect(await sendReply(relay.database, { ...base, replyId: 'bad-rcpt-3', to: INBOX })).toEqual({ ok: false, status: 400, message: 'Add at least one recipient in To.' });
		expect(sink.received).toHaveLength(0);
		expect(await relay.database.db.select().from(outgoingReplies)).toHaveLength(0);
	});

	it('stops a member who sends too many emails in an hour, without claiming the refused reply', async () => {
		const { conversationId, message } = await customerWrites();
		const limiter = relay.database.limiters.outgoingMailPerUser;
		for (let i = 0; i < 100; i++) await limiter.take(alice);
		const refused = await sendReply(relay.database, { replyId: 'too-many-1', conversationId, userId: alice, replyTo: message.id, mode: 'reply', text: 'one more' });
		expect(refused).toMatchObject({ ok: false, status: 429 });
		expect(sink.received).toHaveLength(0);
		await limiter.reset(alice);
		// the same reply, posted again once the hour is over, goes out
		expect(await sendReply(relay.database, { replyId: 'too-many-1', conversationId, userId: alice, replyTo: message.id, mode: 'reply', text: 'one more' })).toMatchObject({ ok: true, status: 'sent' });
	});

	it('refuses empty replies, unknown messages and bad ids without sending', async () => {
		const { conversationId, message } = await customerWrites();
		const base = { replyId: 'valid-id-1', conversationId, userId: alice, replyTo: message.id, mode: 'reply' as const, text: 'ok' };
		expect(await sendReply(relay.database, { ...base, text: '   ' })).toMatchObject({ ok: false, status: 400 });
		expect(await sendReply(relay.database, { ...base, replyId: 'x' })).toMatchObject({ ok: false, status: 400 });
		expect(await sendReply(relay.database, { ...base, replyTo: 'nope' })).toMatchObject({ ok: false, status: 404 });
		expect(sink.received).toHaveLength(0);
	});
});
