// A reply's inbox activity (snippet, last activity) is stored debounced, up to a second after the
// reply. The REAL server process stopped gracefully (SIGTERM) inside that window must store it: after
// a restart on the same database the conversation still shows the reply and is first in the inbox.
// The reply is handled by the SvelteKit bundle and the shutdown by server/index.ts, two module
// graphs in one process — which one Vitest graph (relay-shutdown.test.ts) cannot show.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import { createClient, type Client } from '@libsql/client';
import { startApp, postForm, sessionCookie, type RunningApp } from './harness.ts';
import { DEMO_PASSWORD, DemoOrgs, DemoUsers } from '../../src/lib/server/seed.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-restart-'));
const databaseUrl = `file:${path.join(dir, 'parley.db')}`;
let app: RunningApp | null = null;
let db: Client | null = null;
afterAll(async () => {
	db?.close();
	await app?.stop();
	fs.rmSync(dir, { recursive: true, force: true });
});

async function until<T>(read: () => Promise<T | null | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
	const end = Date.now() + timeoutMs;
	for (;;) {
		const value = await read();
		if (value) return value;
		if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 50));
	}
}

async function mailIn(smtpPort: number, subject: string, messageId: string): Promise<string> {
	await nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true }).sendMail({
		from: 'Dana <dana@example.com>',
		to: DemoOrgs.acme.inboxAddress,
		subject,
		messageId,
		text: `About ${subject}.`
	});
	const row = await until(async () => (await db!.execute({ sql: 'SELECT id FROM conversations WHERE subject = ?', args: [subject] })).rows[0], subject);
	return String(row.id);
}

/** Alice's conversations, newest activity first, as her inbox orders them. */
async function inboxOrder(): Promise<string[]> {
	const { rows } = await db!.execute({
		sql: 'SELECT id FROM conversations WHERE org_id = (SELECT id FROM organizations WHERE inbox_address = ?) ORDER BY last_activity_at DESC',
		args: [DemoOrgs.acme.inboxAddress]
	});
	return rows.map((r) => String(r.id));
}

describe('a graceful restart of the server process', () => {
	it("keeps a reply's inbox activity made just before SIGTERM", async () => {
		app = await startApp({ databaseUrl, env: { SMTP_LISTEN_PORT: '0' } });
		db = createClient({ url: databaseUrl });
		const smtpPort = Number((await app.waitForOutput(/Email in: SMTP on 127\.0\.0\.1:(\d+)/))[1]);
		const older = await mailIn(smtpPort, 'Restart lamp', '<restart-lamp@example.com>');
		const newer = await mailIn(smtpPort, 'Restart chair', '<restart-chair@example.com>');
		expect((await inboxOrder()).indexOf(newer)).toBeLessThan((await inboxOrder()).indexOf(older));

		const signIn = await postForm(app, '/signin?/password', { email: DemoUsers.alice.email, password: DEMO_PASSWORD });
		const cookie = sessionCookie(signIn)!;
		const [{ id: messageId }] = (await db.execute({ sql: 'SELECT id FROM mail_messages WHERE message_id = ?', args: ['<restart-lamp@example.com>'] })).rows;
		const before = Date.now();
		const res = await fetch(`${app.url}/c/${older}/reply`, {
			method: 'POST',
			headers: { cookie, origin: app.url, 'content-type': 'application/json', accept: 'application/json' },
			body: JSON.stringify({ id: 'restart-reply-0001', replyTo: String(messageId), mode: 'reply', text: 'A new lamp ships today.' })
		});
		expect(await res.json()).toMatchObject({ ok: true, status: 'sent' });
		await app.stop(); // SIGTERM, well within the debounce of the inbox activity
		expect(app.output()).not.toMatch(/\[inbox\] activity/);

		app = await startApp({ databaseUrl, env: { SMTP_LISTEN_PORT: '0' } });
		const [row] = (await db.execute({ sql: 'SELECT snippet, last_activity_at FROM conversations WHERE id = ?', args: [older] })).rows;
		expect(String(row.snippet)).toBe(`${DemoUsers.alice.name}: A new lamp ships today.`);
		expect(Number(row.last_activity_at)).toBeGreaterThanOrEqual(before);
		expect((await inboxOrder())[0]).toBe(older);
	});
});
