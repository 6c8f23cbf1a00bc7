// Attachments out through real SMTP: a member's new email and reply carry files into an smtp-server
// sink as MIME attachments (bytes intact, names made safe), the sent message in the thread lists them
// and they download through the grant; a file over the limit is refused by name and nothing is queued.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { eq } from 'drizzle-orm';
import * as Y from 'yjs';
import { startRelay, type TestRelay } from './helpers/relay.ts';
import { createSender, startSmtpSink, type SmtpSink } from './helpers/mail.ts';
import { startInboundSmtp, type InboundSmtp } from '../src/lib/server/mail/smtp-listener.ts';
import { sendNewEmail } from '../src/lib/server/mail/compose.ts';
import { sendReply } from '../src/lib/server/mail/replies.ts';
import { readAttachmentForUser } from '../src/lib/server/attachments.ts';
import { conversations, mailOutbox, organizations, outgoingReplies } from '../src/lib/server/db/schema.ts';
import { getRecords } from '../src/lib/shared/records.ts';
import { OUTGOING_ATTACHMENT_LIMITS } from '../src/lib/shared/outgoing-attachments.ts';
import { stopNotificationEmails } from '../src/lib/server/notifications.ts';

const INBOX = 'support@acme.test';
let relay: TestRelay;
let smtp: InboundSmtp;
let sink: SmtpSink;
let orgId: string;
let alice: string;
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

async function thread(conversationId: string) {
	const doc = new Y.Doc();
	Y.applyUpdate(doc, await relay.endpoint.relay.readState(`c/${conversationId}/thread`));
	return [...getRecords(doc, 'thread', 'messages').values()].sort((a, b) => a.sentAt - b.sentAt);
}

// bytes no text encoding would keep by accident
const invoice = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 37) % 256));
const newEmail = (attachments: Parameters<typeof sendNewEmail>[1]['attachments']) =>
	sendNewEmail(relay.database, { composeId: 'compose-0001', userId: alice, orgId, to: 'dana@example.com', subject: 'Your invoice', text: 'Attached.', attachments });

const nothingQueued = async () => ({
	sink: sink.received.length,
	outbox: (await relay.database.db.select().from(mailOutbox)).length,
	claims: (await relay.database.db.select().from(outgoingReplies)).length
});

describe('attachments out', () => {
	it('a new email carries the file to the sink with its bytes, under a safe name, and the sent message lists it for download', async () => {
		const result = await newEmail([{ filename: 'C:\\fakepath\\..\\"invoice"\r\n.pdf', contentType: 'application/pdf', data: invoice }]);
		expect(result).toMatchObject({ ok: true, status: 'sent' });
		if (!result.ok) return;
		await sink.waitFor(1);
		const [file] = sink.received[0].parsed.attachments;
		expect(file.filename).toBe('_invoice___.pdf');
		expect(file.contentType).toBe('application/pdf');
		expect(Buffer.compare(file.content, invoice)).toBe(0);

		const [message] = await thread(result.conversationId);
		expect(message.attachments).toEqual([{ id: expect.any(String), name: '_invoice___.pdf', size: invoice.byteLength, contentType: 'application/pdf' }]);
		const download = await readAttachmentForUser(relay.database, alice, message.attachments[0].id);
		expect(download && Buffer.compare(download.data, invoice)).toBe(0);
	});

	it('a reply carries its files to the sink and the thread', async () => {
		await createSender(smtp.port).sendMail({ from: 'dana@example.com', to: INBOX, subject: 'Invoice?', messageId: '<inv-1@example.com>', text: 'Where is it?' });
		const [conv] = await relay.database.db.select().from(conversations);
		const [inbound] = await thread(conv.id);
		const result = await sendReply(relay.database, {
			replyId: 'reply-0001',
			conversationId: conv.id,
			userId: alice,
			replyTo: inbound.id,
			mode: 'reply',
			text: 'Here it is.',
			attachments: [
				{ filename: 'invoice.pdf', contentType: 'application/pdf', data: invoice },
				{ filename: 'notes.txt', contentType: 'text/plain', data: Buffer.from('paid in full') }
			]
		});
		expect(result).toMatchObject({ ok: true, status: 'sent' });
		await sink.waitFor(1);
		const files = sink.received[0].parsed.attachments;
		expect(files.map((f) => f.filename)).toEqual(['invoice.pdf', 'notes.txt']);
		expect(Buffer.compare(files[0].content, invoice)).toBe(0);
		expect(files[1].content.toString()).toBe('paid in full');
		const sent = (await thread(conv.id)).find((m) => m.direction === 'out');
		expect(sent?.attachments.map((a) => a.name)).toEqual(['invoice.pdf', 'notes.txt']);
	});

	it('refuses a file over the limit by name, and a set over the total, with nothing sent, queued or claimed', async () => {
		const big = Buffer.alloc(OUTGOING_ATTACHMENT_LIMITS.maxFileBytes + 1, 7);
		const tooLarge = await newEmail([{ filename: 'small.txt', contentType: 'text/plain', data: Buffer.from('ok') }, { filename: 'video.mov', contentType: 'video/quicktime', data: big }]);
		expect(tooLarge).toMatchObject({ ok: false, status: 400 });
		expect(!tooLarge.ok && tooLarge.message).toMatch(/^“video\.mov” is too large \(10\.0 MB\): each file may be at most 10\.0 MB\. Nothing was sent\.$/);

		const half = Buffer.alloc(OUTGOING_ATTACHMENT_LIMITS.maxTotalBytes / 2 + 1, 7);
		const tooMuch = await newEmail([{ filename: 'a.bin', contentType: 'application/octet-stream', data: half }, { filename: 'b.bin', contentType: 'application/octet-stream', data: half }]);
		expect(!tooMuch.ok && tooMuch.message).toMatch(/^The attachments come to 15\.0 MB: one email may carry at most 15\.0 MB\. Nothing was sent\.$/);

		await new Promise((r) => setTimeout(r, 300));
		expect(await nothingQueued()).toEqual({ sink: 0, outbox: 0, claims: 0 });
		expect(await relay.database.db.select().from(conversations)).toHaveLength(0);
		// the same email without the large file goes out
		expect(await newEmail([{ filename: 'small.txt', contentType: 'text/plain', data: Buffer.from('ok') }])).toMatchObject({ ok: true, status: 'sent' });
		await sink.waitFor(1);
	});
});
