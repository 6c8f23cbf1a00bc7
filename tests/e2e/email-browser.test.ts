// Replies in Chromium: a member answers the demo email while offline; the reply waits in the page's
// queue and goes out once when the network returns (also after a reload). A guest sees no reply control.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client } from '@libsql/client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, signInWithPassword, startApp, type RunningApp } from './harness.ts';
import nodemailer from 'nodemailer';
import { DEMO_PASSWORD, DemoConversations, DemoOrgs, DemoUsers } from '../../src/lib/server/seed.ts';

let app: RunningApp;
let browser: Browser;
let db: Client;
let conversationId: string;
const subject = `Re: ${DemoConversations.order.subject}`;

async function signIn(name: 'alice' | 'nora'): Promise<{ context: BrowserContext; page: Page }> {
	const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
	const page = await context.newPage();
	page.on('pageerror', (e) => console.error(`[${name}] pageerror`, e.message));
	await signInWithPassword(page, app, DemoUsers[name].email, DEMO_PASSWORD);
	return { context, page };
}

const sentReplies = async () => Number((await db.execute({ sql: 'SELECT count(*) AS n FROM mail_outbox WHERE subject = ?', args: [subject] })).rows[0].n);

beforeAll(async () => {
	app = await startApp({ env: { SMTP_LISTEN_PORT: '0' } });
	browser = await launchChromium();
	db = createClient({ url: app.databaseUrl });
	conversationId = String((await db.execute({ sql: 'SELECT id FROM conversations WHERE subject = ?', args: [DemoConversations.order.subject] })).rows[0].id);
});
afterAll(async () => {
	await browser?.close();
	db?.close();
	await app?.stop();
});

describe('replies in the browser', () => {
	it('a reply written offline is queued, sent once when back online, and shows in the thread', async () => {
		const { context, page } = await signIn('alice');
		await page.goto(`${app.url}/c/${conversationId}`);
		const email = page.getByTestId('email-message').first();
		await email.getByRole('button', { name: 'Reply', exact: true }).click();
		await context.setOffline(true);
		await email.getByLabel('Your reply').fill('A replacement ships today.');
		await email.getByRole('button', { name: 'Send reply' }).click();
		await expect.poll(() => email.getByTestId('queued-reply').textContent()).toContain('waiting to be sent');
		expect(await sentReplies()).toBe(0);

		await context.setOffline(false);
		await expect.poll(() => sentReplies(), { timeout: 15_000 }).toBe(1);
		await expect.poll(() => page.getByTestId('queued-reply').count()).toBe(0);
		await expect.poll(() => page.getByTestId('email-message').filter({ hasText: 'A replacement ships today.' }).count(), { timeout: 10_000 }).toBe(1);
		await page.reload();
		await page.waitForTimeout(1000);
		expect(await sentReplies()).toBe(1);
		const [row] = (await db.execute({ sql: 'SELECT headers FROM mail_outbox WHERE subject = ?', args: [subject] })).rows;
		expect(JSON.parse(String(row.headers))['In-Reply-To']).toBe('<demo-1042@example.com>');
		await context.close();
	});

	it('To and Cc are filled in and editable; a typo is shown and nothing is sent; the sent reply shows its Cc', async () => {
		const { context, page } = await signIn('alice');
		await page.goto(`${app.url}/c/${conversationId}`);
		const email = page.getByTestId('email-message').first();
		await email.getByRole('button', { name: 'Reply', exact: true }).click();
		const to = email.getByLabel('To', { exact: true });
		const customer = String((await to.inputValue()).match(/<([^>]+)>|(\S+@\S+)/)![0]).replace(/[<>]/g, '');
		expect(customer).toMatch(/@/);
		await email.getByRole('button', { name: 'Cc', exact: true }).click();
		await email.getByLabel('Cc', { exact: true }).fill('warehouse@example.org, not-an-address');
		await email.getByLabel('Your reply').fill('Copying our warehouse.');
		const before = await sentReplies();
		await email.getByRole('button', { name: 'Send reply' }).click();
		await expect.poll(() => email.getByTestId('reply-error').textContent()).toBe('Cc: “not-an-address” is not an email address.');
		expect(await email.getByTestId('queued-reply').count()).toBe(0);
		expect(await sentReplies()).toBe(before);

		await email.getByLabel('Cc', { exact: true }).fill(`Warehouse <warehouse@example.org>, ${DemoOrgs.acme.inboxAddress}`);
		await email.getByRole('button', { name: 'Send reply' }).click();
		await expect.poll(() => sentReplies(), { timeout: 15_000 }).toBe(before + 1);
		const [row] = (await db.execute({ sql: 'SELECT "to", headers FROM mail_outbox WHERE subject = ? ORDER BY id DESC LIMIT 1', args: [subject] })).rows;
		expect(String(row.to)).toContain(customer);
		// our own inbox never gets a copy, even when typed in
		expect(JSON.parse(String(row.headers)).Cc).toBe('"Warehouse" <warehouse@example.org>');
		const sent = page.getByTestId('email-message').filter({ hasText: 'Copying our warehouse.' });
		await expect.poll(() => sent.getByTestId('email-cc').textContent(), { timeout: 10_000 }).toContain('Warehouse');
		await context.close();
	});

	it('a new email: suggestions from past correspondents, a typo named, then sent once, opened, and listed under Sent', async () => {
		const { page } = await signIn('alice');
		await page.getByTestId('new-email').click();
		await page.waitForURL(`${app.url}/compose`);
		const to = page.getByLabel('To', { exact: true });
		await to.fill('dan');
		await page.getByRole('option').filter({ hasText: 'Dana Whitfield' }).click();
		expect(await to.inputValue()).toBe('"Dana Whitfield" <dana@example.com>, ');
		await page.getByRole('button', { name: 'Add Cc / Bcc' }).click();
		await page.getByLabel('Cc', { exact: true }).fill('ops@example');
		await page.getByLabel('Subject').fill('Your replacement lamp');
		await page.getByLabel('Message').fill('Hi Dana, the new lamp ships tomorrow.');
		await page.getByRole('button', { name: 'Send' }).click();
		await expect.poll(() => page.getByTestId('compose-error').textContent()).toBe('Cc: “ops@example” is not an email address.');
		const outbox = () => db.execute({ sql: 'SELECT "to", headers FROM mail_outbox WHERE subject = ?', args: ['Your replacement lamp'] }).then((r) => r.rows);
		expect(await outbox()).toHaveLength(0);
		// what was typed is kept
		expect(await page.getByLabel('Message').inputValue()).toBe('Hi Dana, the new lamp ships tomorrow.');

		await page.getByLabel('Cc', { exact: true }).fill('ops@example.org');
		await page.getByRole('button', { name: 'Send' }).click();
		await page.waitForURL(/\/c\/[A-Za-z0-9_-]+$/);
		await expect.poll(() => page.getByTestId('email-message').filter({ hasText: 'the new lamp ships tomorrow' }).count(), { timeout: 10_000 }).toBe(1);
		const rows = await outbox();
		expect(rows).toHaveLength(1);
		expect(String(rows[0].to)).toContain('dana@example.com');
		expect(JSON.parse(String(rows[0].headers)).Cc).toBe('ops@example.org');

		await page.goto(`${app.url}/?folder=sent`);
		await expect.poll(() => page.getByTestId('conversation-row').filter({ hasText: 'Your replacement lamp' }).count(), { timeout: 10_000 }).toBe(1);
		await page.context().close();
	});

	it('an HTML email shows formatted, without what the sanitizer removed, and as plain text on request', async () => {
		const smtpPort = Number((await app.waitForOutput(/Email in: SMTP on 127\.0\.0\.1:(\d+)/))[1]);
		await nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true }).sendMail({
			from: 'Dana <dana@example.com>',
			to: DemoOrgs.acme.inboxAddress,
			subject: 'Formatted order question',
			text: 'Order 2231: the lamp is *cracked*.',
			html: '<p>Order 2231: the lamp is <strong>cracked</strong>.</p><script>window.pwned = 1</script><p onclick="window.pwned = 2">Click</p><img src="https://tracker.example/p.gif">'
		});
		let id: unknown;
		for (let i = 0; i < 100 && !id; i++) {
			id = (await db.execute("SELECT id FROM conversations WHERE subject = 'Formatted order question'")).rows[0]?.id;
			if (!id) await new Promise((r) => setTimeout(r, 100));
		}
		const { context, page } = await signIn('alice');
		await page.goto(`${app.url}/c/${String(id)}`);
		const body = page.getByTestId('email-html');
		await expect.poll(() => body.locator('strong').textContent(), { timeout: 10_000 }).toBe('cracked');
		expect(await body.locator('script, img, [onclick]').count()).toBe(0);
		await body.getByText('Click').click();
		expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
		await page.getByRole('button', { name: 'Show plain text' }).click();
		await expect.poll(() => page.getByTestId('email-message').first().textContent()).toContain('the lamp is *cracked*.');
		expect(await page.getByTestId('email-html').count()).toBe(0);
		await context.close();
	});

	it('a guest sees the external messages but no reply control', async () => {
		const noraId = String((await db.execute({ sql: 'SELECT id FROM users WHERE email = ?', args: [DemoUsers.nora.email] })).rows[0].id);
		await db.execute({ sql: "INSERT INTO conversation_participants (conversation_id, user_id, role, added_at) VALUES (?, ?, 'guest', ?)", args: [conversationId, noraId, Date.now()] });
		const { context, page } = await signIn('nora');
		await page.goto(`${app.url}/c/${conversationId}`);
		await expect.poll(() => page.getByTestId('email-message').count(), { timeout: 10_000 }).toBeGreaterThan(0);
		expect(await page.getByTestId('reply-composer').count()).toBe(0);
		expect(await page.getByRole('button', { name: /^Reply/ }).count()).toBe(0);
		await context.close();
	});
});
