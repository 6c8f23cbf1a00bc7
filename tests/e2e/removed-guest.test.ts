// A guest removed while her page is open (Chromium, two browser contexts): Nora, a guest of Acme's
// email conversation, has it open when Alice removes her. Her page says at once that her access
// ended, offers "Shared with you" and has no composer left; her earlier message stays credited to
// her for the team, marked "former guest".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client } from '@libsql/client';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, signInWithPassword, startApp, type RunningApp } from './harness.ts';
import { DEMO_PASSWORD, DemoConversations, DemoOrgs, DemoUsers } from '../../src/lib/server/seed.ts';

let app: RunningApp;
let browser: Browser;
let db: Client;
let conversationId: string;

async function signIn(name: 'alice' | 'bob' | 'nora'): Promise<Page> {
	const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
	const page = await context.newPage();
	await signInWithPassword(page, app, DemoUsers[name].email, DEMO_PASSWORD);
	return page;
}

beforeAll(async () => {
	[app, browser] = await Promise.all([startApp(), launchChromium()]);
	db = createClient({ url: app.databaseUrl });
	const conv = await db.execute({ sql: 'SELECT id FROM conversations WHERE subject = ?', args: [DemoConversations.order.subject] });
	conversationId = String(conv.rows[0].id);
	const nora = await db.execute({ sql: 'SELECT id FROM users WHERE email = ?', args: [DemoUsers.nora.email] });
	// Nora is a guest of the email conversation (the invitation flow is tested elsewhere)
	await db.execute({
		sql: `INSERT INTO conversation_participants (conversation_id, user_id, role, invited_by, added_at) VALUES (?, ?, 'guest', NULL, ?)`,
		args: [conversationId, String(nora.rows[0].id), Date.now()]
	});
});

afterAll(async () => {
	db?.close();
	await browser?.close();
	await app?.stop();
});

describe('a guest removed while her conversation is open', () => {
	let alice: Page;
	let nora: Page;
	const text = `Photos of the cracked panel are on their way ${Date.now()}`;

	it('tells her at once that her access ended, takes the composer away and offers Shared with you', async () => {
		[alice, nora] = await Promise.all([signIn('alice'), signIn('nora')]);
		await nora.goto(`${app.url}/c/${conversationId}?folder=shared`);
		await expect.poll(() => nora.getByText('You are a guest').count(), { timeout: 15_000 }).toBe(1);
		await nora.getByLabel('Message').fill(text);
		await nora.getByLabel('Message').press('Enter');
		await expect.poll(() => nora.getByTestId('sync-pending').textContent(), { timeout: 15_000 }).toContain('All changes saved');

		await alice.goto(`${app.url}/c/${conversationId}/guests`);
		await alice.getByTestId('guest-row').filter({ hasText: DemoUsers.nora.email }).getByRole('button', { name: 'Remove' }).click();
		await alice.getByTestId('guest-row').filter({ hasText: DemoUsers.nora.email }).getByRole('button', { name: 'Yes, remove' }).click();
		await expect.poll(() => alice.getByTestId('guest-row').count(), { timeout: 15_000 }).toBe(0);

		const ended = nora.getByTestId('access-ended');
		await expect.poll(() => ended.textContent(), { timeout: 15_000 }).toContain('Your access to this conversation ended');
		expect(await ended.getAttribute('role')).toBe('alert');
		// no pretending: no empty conversation inviting a first message, no composer, no guest badge
		expect(await nora.getByText('No messages yet').count()).toBe(0);
		expect(await nora.getByLabel('Message').count()).toBe(0);
		expect(await nora.getByText('You are a guest').count()).toBe(0);
		expect(await nora.getByTestId('composer-ended').textContent()).toContain('You can no longer write here');

		await ended.getByRole('link', { name: 'Go to Shared with you' }).click();
		await nora.waitForURL((url) => url.pathname === '/' && url.searchParams.get('folder') === 'shared');
		await expect.poll(() => nora.getByText('Nothing shared with you').count(), { timeout: 15_000 }).toBeGreaterThan(0);
	});

	it('her earlier message keeps her name for the team, marked former guest', async () => {
		const bob = await signIn('bob');
		for (const page of [alice, bob]) {
			await page.goto(`${app.url}/c/${conversationId}`);
			const message = page.getByTestId('chat-message').filter({ hasText: text });
			await expect.poll(() => message.count(), { timeout: 15_000 }).toBe(1);
			expect(await message.locator('strong').first().textContent()).toBe(DemoUsers.nora.name);
			expect(await message.getByTestId('former-guest').textContent()).toBe('former guest');
			expect(await message.textContent()).not.toContain('Someone from');
		}
		// the team's own messages carry no such mark
		expect(await alice.getByTestId('former-guest').count()).toBe(1);
	});

	it("another guest's page does not learn the removed guest's name", async () => {
		// Olga, a second guest of the conversation, never saw Nora there: her page must not name her
		// the running app writes to the same file: wait for its lock instead of failing
		await db.execute('PRAGMA busy_timeout = 10000');
		await db.execute({
			sql: `INSERT INTO users (id, email, name, password_hash, email_verified_at, created_at)
			      SELECT ?, 'olga@northwind.test', 'Olga Oak', password_hash, email_verified_at, created_at FROM users WHERE email = ?`,
			args: [crypto.randomUUID(), DemoUsers.nora.email]
		});
		await db.execute({
			sql: `INSERT INTO conversation_participants (conversation_id, user_id, role, invited_by, added_at)
			      SELECT ?, id, 'guest', NULL, ? FROM users WHERE email = 'olga@northwind.test'`,
			args: [conversationId, Date.now()]
		});
		const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
		const olga = await context.newPage();
		await signInWithPassword(olga, app, 'olga@northwind.test', DEMO_PASSWORD);
		await olga.goto(`${app.url}/c/${conversationId}`);
		const message = olga.getByTestId('chat-message').filter({ hasText: text });
		await expect.poll(() => message.count(), { timeout: 15_000 }).toBe(1);
		// the message and the page's data do not name her (the thread's "removed guest" event is
		// shared history that guests already see, written at removal)
		expect(await message.locator('strong').first().textContent()).toBe(`Someone from ${DemoOrgs.acme.name}`);
		expect(await olga.getByTestId('former-guest').count()).toBe(0);
		const data = await olga.locator('script').allTextContents();
		expect(data.join('\n')).not.toContain(DemoUsers.nora.name);
	});
});
