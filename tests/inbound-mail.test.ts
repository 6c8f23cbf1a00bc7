// Email in through real SMTP (nodemailer into Parley's listener on port 0) and the webhook's
// MIME path: threading, attachments, sanitized HTML, and refusals that store nothing.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { eq } from 'drizzle-orm';
import * as Y from 'yjs';
import { startRelay, type TestRelay } from './helpers/relay.ts';
import { createSender } from './helpers/mail.ts';
import { startInboundSmtp, type InboundSmtp } from '../src/lib/server/mail/smtp-listener.ts';
import { receiveMail, rotateInboundSecret, verifyInboundSecret, InboundRefusal } from '../src/lib/server/mail/inbound.ts';
import { attachments, conversations, mailMessages, organizations } from '../src/lib/server/db/schema.ts';
import { getRecords } from '../src/lib/shared/records.ts';
import { stopNotificationEmails } from '../src/lib/server/notifications.ts';

let relay: TestRelay;
let smtp: InboundSmtp;
let orgId: string;
let aliceId: string;
const INBOX = 'support@acme.test';
const limits = { maxMessageBytes: 2 * 1024 * 1024, maxAttachmentBytes: 64 * 1024, maxAttachments: 5 };

beforeEach(async () => {
	vi.spyOn(console, 'log').mockImplementation(() => {});
	relay = await startRelay();
	orgId = await relay.addOrg('Acme');
	await relay.database.db.update(organizations).set({ inboxAddress: INBOX }).where(eq(organizations.id, orgId));
	aliceId = (await relay.addUser('Alice')).id;
	await relay.addMember(orgId, aliceId, 'owner');
	smtp = await startInboundSmtp(relay.database, { port: 0, limits, log: () => {} });
});
afterEach(async () => {
	await smtp.close();
	stopNotificationEmails(relay.database);
	await relay.close();
	vi.restoreAllMocks();
});

async function thread(conversationId: string) {
	const doc = new Y.Doc();
	Y.applyUpdate(doc, await relay.endpoint.relay.readState(`c/${conversationId}/thread`));
	return getRecords(doc, 'thread', 'messages');
}
async function inboxOf(userId: string) {
	const doc = new Y.Doc();
	Y.applyUpdate(doc, await relay.endpoint.relay.readState(`u/${userId}/inbox`));
	return getRecords(doc, 'inbox', 'conversations');
}
async function counts() {
	const { db } = relay.database;
	return {
		conversations: (await db.select().from(conversations)).length,
		messages: (await db.select().from(mailMessages)).length,
		attachments: (await db.select().from(attachments)).length
	};
}

describe('email in over SMTP', () => {
	it('a new mail opens a conversation in the members\' inboxes, with sender, recipients, date, text, sanitized HTML and attachments', async () => {
		const sender = createSender(smtp.port);
		await sender.sendMail({
			from: 'Dana Whitfield <dana@example.com>',
			to: `Acme <${INBOX}>`,
			cc: 'Eve <eve@example.com>',
			subject: 'Broken lamp',
			messageId: '<lamp-1@example.com>',
			date: new Date('2026-01-02T03:04:05Z'),
			text: 'The glass is cracked.',
			html: '<p>The glass is <b>cracked</b>.<script>alert(1)</script><img src="https://tracker.example/p.gif"><a href="javascript:alert(2)">x</a></p>',
			attachments: [{ filename: 'photo.txt', content: 'pretend this is a photo', contentType: 'text/plain' }]
		});
		const [conv] = await relay.database.db.select().from(conversations);
		expect(conv).toMatchObject({ orgId, subject: 'Broken lamp', kind: 'email' });
		const [message] = [...(await thread(conv.id)).values()];
		expect(message).toMatchObject({
			direction: 'in',
			from: { name: 'Dana Whitfield', address: 'dana@example.com' },
			to: [{ name: 'Acme', address: INBOX }],
			cc: [{ name: 'Eve', address: 'eve@example.com' }],
			subject: 'Broken lamp',
			messageId: '<lamp-1@example.com>',
			sentAt: Date.parse('2026-01-02T03:04:05Z')
		});
		expect(message.text.trim()).toBe('The glass is cracked.');
		expect(message.html).toContain('<b>cracked</b>');
		expect(message.html).not.toMatch(/script|javascript:|<img|tracker/);
		expect(message.attachments).toEqual([{ id: expect.any(String), name: 'photo.txt', size: 23, contentType: 'text/plain' }]);
		const [stored] = await relay.database.db.select().from(attachments);
		expect(stored.data.toString()).toBe('pretend this is a photo');
		expect((await inboxOf(aliceId)).get(conv.id)).toMatchObject({ subject: 'Broken lamp', kind: 'email', role: 'member' });
	});

	it('a reply threads into the same conversation by In-Reply-To, and by References alone; an unrelated mail opens another', async () => {
		const sender = createSender(smtp.port);
		await sender.sendMail({ from: 'dana@example.com', to: INBOX, subject: 'Order', messageId: '<a@example.com>', text: 'first' });
		await sender.sendMail({ from: 'dana@example.com', to: INBOX, subject: 'Re: Order', messageId: '<b@example.com>', inReplyTo: '<a@example.com>', text: 'second' });
		await sender.sendMail({ from: 'dana@example.com', to: INBOX, subject: 'Re: Order', messageId: '<c@example.com>', references: ['<a@example.com>', '<b@example.com>'], text: 'third' });
		await sender.sendMail({ from: 'dana@example.com', to: INBOX, subject: 'Other', messageId: '<d@example.com>', text: 'other' });
		const convs = await relay.database.db.select().from(conversations);
		expect(convs.map((c) => c.subject).sort()).toEqual(['Order', 'Other']);
		const order = convs.find((c) => c.subject === 'Order')!;
		expect([...(await thread(order.id)).values()].map((m) => m.text.trim()).sort()).toEqual(['first', 'second', 'third']);
	});

	it('the same Message-ID delivered twice is kept once', async () => {
		const sender = createSender(smtp.port);
		for (let i = 0; i < 2; i++) await sender.sendMail({ from: 'dana@example.com', to: INBOX, subject: 'Twice', messageId: '<twice@example.com>', text: 'hello' });
		expect(await counts()).toEqual({ conversations: 1, messages: 1, attachments: 0 });
	});

	it('refuses unknown recipients at RCPT TO with a clear error, and stores nothing', async () => {
		const sender = createSender(smtp.port);
		const error = await sender.sendMail({ from: 'dana@example.com', to: 'nobody@acme.test', subject: 'x', text: 'x' }).catch((e: Error & { responseCode?: number }) => e);
		expect(error).toBeInstanceOf(Error);
		expect((error as { responseCode?: number }).responseCode).toBe(550);
		expect((error as Error).message).toContain('nobody@acme.test');
		expect((error as Error).message).toContain('no inbox here');
		expect(await counts()).toEqual({ conversations: 0, messages: 0, attachments: 0 });
	});

	it('refuses a message with a huge attachment (552) and stores nothing of it', async () => {
		const sender = createSender(smtp.port);
		const error = await sender
			.sendMail({
				from: 'dana@example.com',
				to: INBOX,
				subject: 'Big',
				text: 'see attached',
				attachments: [{ filename: 'small.txt', content: 'ok' }, { filename: 'huge.bin', content: Buffer.alloc(limits.maxAttachmentBytes + 1, 1) }]
			})
			.catch((e: Error & { responseCode?: number }) => e);
		expect((error as { responseCode?: number }).responseCode).toBe(552);
		expect((error as Error).message).toContain('huge.bin');
		expect(await counts()).toEqual({ conversations: 0, messages: 0, attachments: 0 });
	});

	it('refuses a message over the size limit (552)', async () => {
		const sender = createSender(smtp.port);
		const error = await sender
			.sendMail({ from: 'dana@example.com', to: INBOX, subject: 'Huge', text: 'x'.repeat(limits.maxMessageBytes + 10) })
			.catch((e: Error & { responseCode?: number }) => e);
		expect((error as { responseCode?: number }).responseCode).toBe(552);
		expect(await counts()).toEqual({ conversations: 0, messages: 0, attachments: 0 });
	});

	it('refuses malformed MIME (554) with a clear error', async () => {
		const sender = createSender(smtp.port);
		const error = await sender
			.sendMail({ envelope: { from: 'dana@example.com', to: [INBOX] }, raw: 'this is not an email at all\r\n\r\njust words\r\n' })
			.catch((e: Error & { responseCode?: number }) => e);
		expect((error as { responseCode?: number }).responseCode).toBe(554);
		expect((error as Error).message).toContain('Malformed message');
		const noFrom = await sender
			.sendMail({ envelope: { from: 'dana@example.com', to: [INBOX] }, raw: 'Subject: hi\r\nTo: support@acme.test\r\n\r\nbody\r\n' })
			.catch((e: Error) => e);
		expect((noFrom as Error).message).toContain('no From address');
		expect(await counts()).toEqual({ conversations: 0, messages: 0, attachments: 0 });
	});

	it('a long body is truncated, saying so, and the record fits the document', async () => {
		const sender = createSender(smtp.port);
		await sender.sendMail({ from: 'dana@example.com', to: INBOX, subject: 'Long', text: 'word '.repeat(6000), html: '<p>' + 'long html '.repeat(3000) + '</p>' });
		const [conv] = await relay.database.db.select().from(conversations);
		const [message] = [...(await thread(conv.id)).values()];
		expect(message.text).toContain('[Message truncated: the original text has 30000 characters.]');
		expect(message.text.length).toBeLessThanOrEqual(12_000);
	});
});

describe('email in by webhook (raw MIME)', () => {
	const raw = (id: string) =>
		Buffer.from(`From: Dana <dana@example.com>\r\nTo: ${INBOX}\r\nSubject: Via webhook\r\nMessage-ID: <${id}@example.com>\r\nContent-Type: text/plain\r\n\r\nHello from a provider.\r\n`);

	it('checks the organization secret by its hash, and a rotation invalidates the old one', async () => {
		const first = await rotateInboundSecret(relay.database, orgId);
		const [org] = await relay.database.db.select().from(organizations).where(eq(organizations.id, orgId));
		expect(org.inboundSecretHash).not.toContain(first);
		expect(await verifyInboundSecret(relay.database, orgId, first)).toBe(true);
		expect(await verifyInboundSecret(relay.database, orgId, 'wrong')).toBe(false);
		const second = await rotateInboundSecret(relay.database, orgId);
		expect(await verifyInboundSecret(relay.database, orgId, first)).toBe(false);
		expect(await verifyInboundSecret(relay.database, orgId, second)).toBe(true);
	});

	it('stores a raw message for the organization; refuses malformed input with 400 and stores nothing', async () => {
		const ok = await receiveMail(relay.database, raw('w1'), [orgId], limits);
		expect(ok.ok).toBe(true);
		const bad = await receiveMail(relay.database, Buffer.from('\x00\x01garbage'), [orgId], limits);
		expect(bad).toEqual({ ok: false, refusal: InboundRefusal.Malformed, message: expect.stringContaining('Malformed message') });
		expect(await counts()).toEqual({ conversations: 1, messages: 1, attachments: 0 });
	});

	it('when the document cannot be written, the rows are removed and the sender is asked to retry', async () => {
		const bridge = relay.endpoint.relay;
		const original = bridge.serverEdit.bind(bridge);
		const spy = vi.spyOn(bridge, 'serverEdit').mockImplementation(async (doc, edit) => {
			if (doc.endsWith('/thread')) throw new Error('disk full');
			return original(doc, edit);
		});
		vi.spyOn(console, 'error').mockImplementation(() => {});
		const result = await receiveMail(relay.database, raw('w2'), [orgId], limits);
		expect(result).toEqual({ ok: false, refusal: InboundRefusal.Temporary, message: expect.stringContaining('try again') });
		expect(await counts()).toEqual({ conversations: 0, messages: 0, attachments: 0 });
		spy.mockRestore();
		// the retry is stored, not taken for a duplicate
		const retry = await receiveMail(relay.database, raw('w2'), [orgId], limits);
		expect(retry.ok && retry.deliveries[0].duplicate).toBe(false);
		expect(await counts()).toEqual({ conversations: 1, messages: 1, attachments: 0 });
	});
});
