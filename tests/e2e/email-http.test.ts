// Email through the BUILT app: SMTP in on the app's own listener (port 0), the raw-MIME webhook with
// its secret, a member's reply through the JSON endpoint (Origin checked) sent once per id, a guest
// refused, and attachments downloadable by the guest.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import { createClient, type Client } from '@libsql/client';
import { startApp, postForm, sessionCookie, type RunningApp } from './harness.ts';
import { DEMO_PASSWORD, DemoOrgs, DemoUsers } from '../../src/lib/server/seed.ts';

let app: RunningApp;
let db: Client;
let smtpPort: number;
let webhook: { url: string; secret: string };
let alice: string;
let nora: string;

async function signIn(email: string): Promise<string> {
	const res = await postForm(app, '/signin?/password', { email, password: DEMO_PASSWORD });
	const cookie = sessionCookie(res);
	if (!cookie) throw new Error(`sign-in failed for ${email}`);
	return cookie;
}

async function until<T>(read: () => Promise<T | null | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
	const end = Date.now() + timeoutMs;
	for (;;) {
		const value = await read();
		if (value) return value;
		if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 50));
	}
}

beforeAll(async () => {
	app = await startApp({ env: { SMTP_LISTEN_PORT: '0', NOTIFY_QUIET_MS: '100' } });
	const hook = await until(async () => app.output().match(/POST raw MIME to (\S+) with "Authorization: Bearer (\S+)"/), 'the webhook line');
	smtpPort = Number((await app.waitForOutput(/Email in: SMTP on 127\.0\.0\.1:(\d+)/))[1]);
	webhook = { url: hook[1].replace('//localhost:', '//127.0.0.1:'), secret: hook[2] };
	db = createClient({ url: app.databaseUrl });
	alice = await signIn(DemoUsers.alice.email);
	nora = await signIn(DemoUsers.nora.email);
});
afterAll(async () => {
	db?.close();
	await app?.stop();
});

describe('email through the built app', () => {
	it('prints how to send a test mail, and stores one sent to the demo inbox over SMTP, attachment included', async () => {
		expect(app.output()).toContain(`--to ${DemoOrgs.acme.inboxAddress}`);
		await nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true }).sendMail({
			from: 'Dana <dana@example.com>',
			to: DemoOrgs.acme.inboxAddress,
			subject: 'E2E lamp',
			messageId: '<e2e-lamp@example.com>',
			text: 'Cracked again.',
			attachments: [{ filename: 'receipt.txt', content: 'paid 42' }]
		});
		const row = await until(async () => (await db.execute("SELECT id FROM conversations WHERE subject = 'E2E lamp'")).rows[0], 'the conversation');
		expect(row.id).toBeTruthy();
	});

	it('the webhook refuses a wrong secret (401, nothing stored) and stores a message with the right one', async () => {
		const raw = 'From: Ed <ed@example.com>\r\nTo: acme@parley.localhost\r\nSubject: Via webhook\r\nMessage-ID: <hook-1@example.com>\r\n\r\nHello.\r\n';
		const before = Number((await db.execute('SELECT count(*) AS n FROM mail_messages')).rows[0].n);
		const wrong = await fetch(webhook.url, { method: 'POST', headers: { authorization: 'Bearer nope', 'content-type': 'message/rfc822' }, body: raw });
		expect(wrong.status).toBe(401);
		expect(await wrong.json()).toEqual({ message: 'Invalid organization or webhook secret.' });
		expect(Number((await db.execute('SELECT count(*) AS n FROM mail_messages')).rows[0].n)).toBe(before);
		const malformed = await fetch(webhook.url, { method: 'POST', headers: { authorization: `Bearer ${webhook.secret}` }, body: 'not mail' });
		expect(malformed.status).toBe(400);
		const ok = await fetch(webhook.url, { method: 'POST', headers: { authorization: `Bearer ${webhook.secret}`, 'content-type': 'message/rfc822' }, body: raw });
		expect(ok.status).toBe(200);
		expect(((await ok.json()) as { messages: unknown[] }).messages).toHaveLength(1);
	});

	it('a member replies through the JSON endpoint once per id; a cross-site post and a guest are refused; the guest downloads the attachment', async () => {
		const { rows } = await db.execute("SELECT m.id, m.conversation_id FROM mail_messages m WHERE m.message_id = '<e2e-lamp@example.com>'");
		const [{ id: messageId, conversation_id: conversationId }] = rows as unknown as Array<{ id: string; conversation_id: string }>;
		const post = (cookie: string, body: object, origin = app.url) =>
			fetch(`${app.url}/c/${conversationId}/reply`, {
				method: 'POST',
				headers: { cookie, origin, 'content-type': 'application/json', accept: 'application/json' },
				body: JSON.stringify(body)
			});
		const reply = { id: 'e2e-reply-0001', replyTo: messageId, mode: 'reply', text: 'A new one is on its way.' };
		expect((await post(alice, reply, 'https://evil.example')).status).toBe(403);
		const first = await post(alice, reply);
		expect(first.status).toBe(200);
		expect(await first.json()).toMatchObject({ ok: true, status: 'sent' });
		const second = await post(alice, reply);
		expect(await second.json()).toMatchObject({ ok: true, status: 'already-sent' });
		const outbox = await db.execute("SELECT headers FROM mail_outbox WHERE subject = 'Re: E2E lamp'");
		expect(outbox.rows).toHaveLength(1);
		expect(JSON.parse(String(outbox.rows[0].headers))).toMatchObject({ 'In-Reply-To': '<e2e-lamp@example.com>', References: '<e2e-lamp@example.com>' });

		// Nora becomes a guest of the conversation
		const noraId = String((await db.execute({ sql: 'SELECT id FROM users WHERE email = ?', args: [DemoUsers.nora.email] })).rows[0].id);
		await db.execute({ sql: "INSERT INTO conversation_participants (conversation_id, user_id, role, added_at) VALUES (?, ?, 'guest', ?)", args: [conversationId, noraId, Date.now()] });
		const refused = await post(nora, { ...reply, id: 'e2e-guest-0001', text: 'Can I answer?' });
		expect(refused.status).toBe(403);
		expect(((await refused.json()) as { message: string }).message).toContain('Guests cannot reply to external messages');

		const attachmentId = String((await db.execute({ sql: 'SELECT id FROM attachments WHERE conversation_id = ?', args: [conversationId] })).rows[0].id);
		const download = await fetch(`${app.url}/attachments/${attachmentId}`, { headers: { cookie: nora } });
		expect(download.status).toBe(200);
		expect(download.headers.get('content-disposition')).toContain('attachment; filename="receipt.txt"');
		expect(await download.text()).toBe('paid 42');
		const anonymous = await fetch(`${app.url}/attachments/${attachmentId}`, { redirect: 'manual' });
		expect(anonymous.status).not.toBe(200);
	});
});
