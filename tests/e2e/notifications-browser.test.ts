// Notifications in real Chromium: Nora, a guest of Acme's email conversation, hears of Alice's chat
// message. The menu shows the unread count on her next page, the list renders the chat formatting
// (never raw `**` and never markup from the text), and opening the conversation from the inbox list,
// not from the notifications page, marks the entry read and clears the count.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client } from '@libsql/client';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, signInWithPassword, startApp, type RunningApp } from './harness.ts';
import { DEMO_PASSWORD, DemoConversations, DemoUsers } from '../../src/lib/server/seed.ts';

let app: RunningApp;
let browser: Browser;
let db: Client;
let conversationId: string;

async function signIn(name: 'alice' | 'nora'): Promise<Page> {
	const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
	const page = await context.newPage();
	await signInWithPassword(page, app, DemoUsers[name].email, DEMO_PASSWORD);
	return page;
}

beforeAll(async () => {
	[app, browser] = await Promise.all([startApp({ env: { NOTIFY_QUIET_MS: '600000' } }), launchChromium()]);
	db = createClient({ url: app.databaseUrl });
	const conv = await db.execute({ sql: 'SELECT id FROM conversations WHERE subject = ?', args: [DemoConversations.order.subject] });
	conversationId = String(conv.rows[0].id);
	const nora = await db.execute({ sql: 'SELECT id FROM users WHERE email = ?', args: [DemoUsers.nora.email] });
	// Nora is a guest of the email conversation (the invitation flow is tested elsewhere); guests hear all its activity
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

describe('notifications for a guest', () => {
	let nora: Page;
	const stamp = Date.now();

	it('the menu counts the unread notification, and the list renders its formatting', async () => {
		const alice = await signIn('alice');
		nora = await signIn('nora');
		expect(await nora.getByTestId('notifications-count').count()).toBe(0);

		await alice.goto(`${app.url}/c/${conversationId}`);
		await alice.getByLabel('Message').fill(`Please **ship** it today <img src=x data-canary=${stamp}>`);
		await alice.getByLabel('Message').press('Enter');
		await expect.poll(() => alice.getByTestId('sync-pending').textContent(), { timeout: 15_000 }).toContain('All changes saved');

		// on her next page (any page), the menu says one unread
		await expect
			.poll(
				async () => {
					await nora.goto(`${app.url}/?folder=shared`);
					const count = nora.getByTestId('notifications-count');
					return (await count.count()) ? (await count.textContent())?.trim() : null;
				},
				{ timeout: 20_000, interval: 500 }
			)
			.toBe('1');
		expect(await nora.getByTestId('notifications-count').getAttribute('aria-label')).toBe('1 unread');

		await nora.getByTestId('nav-notifications').click();
		await nora.waitForURL(`${app.url}/notifications`);
		const entry = nora.getByTestId('notification');
		await expect.poll(() => entry.count()).toBe(1);
		expect(await entry.evaluate((li) => li.classList.contains('unread'))).toBe(true);
		const text = entry.getByTestId('notification-text');
		expect((await text.locator('strong').textContent())?.trim()).toBe('ship');
		expect(await text.textContent()).toBe(`Alice Archer: Please ship it today <img src=x data-canary=${stamp}>`);
		// the text's markup stays text
		expect(await nora.locator(`img[data-canary="${stamp}"]`).count()).toBe(0);
	});

	it('opening the conversation from the inbox list marks it read and clears the count', async () => {
		await nora.goto(`${app.url}/?folder=shared`);
		await nora.getByTestId('conversation-row').filter({ hasText: DemoConversations.order.subject }).click();
		await nora.waitForURL((url) => url.pathname === `/c/${conversationId}`);
		await expect.poll(() => nora.getByTestId('chat-message').filter({ hasText: 'today' }).count(), { timeout: 15_000 }).toBe(1);

		await expect
			.poll(
				async () => {
					await nora.goto(`${app.url}/notifications`);
					return nora.getByTestId('notification').evaluate((li) => li.classList.contains('unread'));
				},
				{ timeout: 20_000, interval: 500 }
			)
			.toBe(false);
		expect(await nora.getByText('(unread)').count()).toBe(0);
		expect(await nora.getByTestId('notifications-count').count()).toBe(0);
		expect(await nora.getByRole('button', { name: 'Mark all read' }).count()).toBe(0);
	});
});
