// New emails through real SMTP: a member writes from the organization's inbox address into an
// smtp-server sink; the customer's answer (to Parley's SMTP listener) threads back into it.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { eq } from 'drizzle-orm';
import * as Y from 'yjs';
import { startRelay, type TestRelay } from './helpers/relay.ts';
import { createSender, startSmtpSink, type SmtpSink } from './helpers/mail.ts';
import { startInboundSmtp, type InboundSmtp } from '../src/lib/server/mail/smtp-listener.ts';
import { sendNewEmail } from '../src/lib/server/mail/compose.ts';
import { listContacts } from '../src/lib/server/mail/contacts.ts';
import { listInboxEntries } from '../src/lib/server/conversations.ts';
import { conversations, organizations } from '../src/lib/server/db/schema.ts';
import { getRecords } from '../src/lib/shared/records.ts';
import { stopNotificationEmails } from '../src/lib/server/notifications.ts';

const INBOX = 'support@acme.test';
let relay: TestRelay;
let smtp: InboundSmtp;
let sink: SmtpSink;
let orgId: string;
let alice: string;
let guest: string;
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

const email = (over: Partial<Parameters<typeof sendNewEmail>[1]> = {}) => ({
	composeId: 'compose-0001',
	userId: alice,
	orgId,
	to: 'Dana Whitfield <dana@example.com>',
	cc: 'Eve <eve@example.com>',
	bcc: 'boss@acme.test',
	subject: 'Your new lamp',
	text: 'Hi Dana, a new lamp is on its way.',
	...over
});

describe('a new email', () => {
	it('goes out from the inbox address with Cc and Bcc, starts a conversation in Sent without the Bcc, and the answer threads into it', async () => {
		const result = await sendNewEmail(relay.database, email());
		expect(result).toMatchObject({ ok: true, status: 'sent' });
		if (!result.ok) return;
		await sink.waitFor(1);
		expect(sink.received[0].to.sort()).toEqual(['boss@acme.test', 'dana@example.com', 'eve@example.com']);
		const sent = sink.received[0].parsed;
		expect(sent.from?.value[0]).toMatchObject({ address: INBOX, name: 'Alice Archer (Acme Support)' });
		expect(sent.subject).toBe('Your new lamp');
		// a blind copy is blind: not in the headers the others get, not in the shared thread
		expect(sink.received[0].raw).not.toMatch(/^bcc:/im);
		const [message] = await thread(result.conversationId);
		expect(message).toMatchObject({ direction: 'out', to: [{ address: 'dana@example.com' }], cc: [{ address: 'eve@example.com' }] });
		expect(JSON.stringify(await thread(result.conversationId))).not.toContain('boss@acme.test');

		const entry = (await listInboxEntries(relay.database.client, alice)).find((e) => e.id === result.conversationId);
		expect(entry).toMatchObject({ subject: 'Your new lamp', kind: 'email', role: 'member', status: 'open' });
		expect(entry?.lastSentAt).toBeGreaterThan(0);

		await createSender(smtp.port).sendMail({ from: 'dana@example.com', to: INBOX, subject: 'Re: Your new lamp', inReplyTo: sent.messageId, references: [sent.messageId!], text: 'Thank you!' });
		expect(await relay.database.db.select().from(conversations)).toHaveLength(1);
		expect((await thread(result.conversationId)).map((m) => m.direction)).toEqual(['out', 'in']);
		expect((await listContacts(relay.database, orgId)).map((c) => c.address).sort()).toEqual(['boss@acme.test', 'dana@example.com', 'eve@example.com']);
	});

	it('posted twice (also at once) is sent once and answers with the same conversation', async () => {
		const [a, b] = await Promise.all([sendNewEmail(relay.database, email()), sendNewEmail(relay.database, email())]);
		const again = await sendNewEmail(relay.database, email());
		expect([a, b, again].every((r) => r.ok)).toBe(true);
		const ids = new Set([a, b, again].map((r) => (r.ok ? r.conversationId : '')));
		expect(ids.size).toBe(1);
		await sink.waitFor(1);
		await new Promise((r) => setTimeout(r, 200));
		expect(sink.received).toHaveLength(1);
		expect(await relay.database.db.select().from(conversations)).toHaveLength(1);
	});

	it('refuses a non-member, a wrong address, a missing subject, text or To, naming the mistake, and sends nothing', async () => {
		expect(await sendNewEmail(relay.database, email({ userId: guest }))).toMatchObject({ ok: false, status: 403 });
		expect(await sendNewEmail(relay.database, email({ to: 'dana@example' }))).toEqual({ ok: false, status: 400, message: 'To: “dana@example” is not an email address.' });
		expect(await sendNewEmail(relay.database, email({ bcc: 'x y' }))).toEqual({ ok: false, status: 400, message: 'Bcc: “x y” is not an email address.' });
		expect(await sendNewEmail(relay.database, email({ to: INBOX }))).toEqual({ ok: false, status: 400, message: 'Add at least one recipient in To.' });
		expect(await sendNewEmail(relay.database, email({ subject: '  ' }))).toEqual({ ok: false, status: 400, message: 'Give the email a subject.' });
		expect(await sendNewEmail(relay.database, email({ text: '\n' }))).toEqual({ ok: false, status: 400, message: 'Write the email first.' });
		expect(await sendNewEmail(relay.database, email({ composeId: 'x' }))).toMatchObject({ ok: false, status: 400 });
		expect(sink.received).toHaveLength(0);
		expect(await relay.database.db.select().from(conversations)).toHaveLength(0);
	});

	it('leaves nothing behind when the mail server refuses it, and goes out when tried again', async () => {
		process.env.SMTP_URL = 'smtp://127.0.0.1:1';
		const failed = await sendNewEmail(relay.database, email());
		expect(failed).toMatchObject({ ok: false, status: 502 });
		expect(await relay.database.db.select().from(conversations)).toHaveLength(0);
		process.env.SMTP_URL = sink.url;
		expect(await sendNewEmail(relay.database, email())).toMatchObject({ ok: true, status: 'sent' });
		await sink.waitFor(1);
	});
});
