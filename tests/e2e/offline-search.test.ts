// Search with no network, in Chromium against the built app: the search box answers from the
// documents this device holds (thread, chat, tasks), says so, and a guest's device holds only what
// she may read, so a word from a conversation she is not in finds nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client } from '@libsql/client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, signInWithPassword, startApp, type RunningApp } from './harness.ts';
import { DEMO_PASSWORD, DemoConversations, DemoUsers } from '../../src/lib/server/seed.ts';

let app: RunningApp;
let browser: Browser;
let db: Client;
const ids: Record<keyof typeof DemoConversations, string> = { order: '', redesign: '' };

beforeAll(async () => {
	[app, browser] = await Promise.all([startApp(), launchChromium()]);
	db = createClient({ url: app.databaseUrl });
	for (const key of Object.keys(ids) as (keyof typeof ids)[]) {
		const row = await db.execute({ sql: 'SELECT id FROM conversations WHERE subject = ?', args: [DemoConversations[key].subject] });
		ids[key] = String(row.rows[0].id);
	}
	// Nora is a guest of the email conversation only (the invitation flow is tested elsewhere)
	const nora = await db.execute({ sql: 'SELECT id FROM users WHERE email = ?', args: [DemoUsers.nora.email] });
	await db.execute({
		sql: `INSERT INTO conversation_participants (conversation_id, user_id, role, invited_by, added_at) VALUES (?, ?, 'guest', NULL, ?)`,
		args: [ids.order, String(nora.rows[0].id), Date.now()]
	});
});
afterAll(async () => {
	db?.close();
	await browser?.close();
	await app?.stop();
});

async function signIn(name: 'alice' | 'nora'): Promise<{ context: BrowserContext; page: Page }> {
	const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
	const page = await context.newPage();
	page.on('pageerror', (e) => console.error(`[${name}] pageerror`, e.message));
	await signInWithPassword(page, app, DemoUsers[name].email, DEMO_PASSWORD);
	return { context, page };
}

async function writeChat(page: Page, conversationId: string, text: string) {
	await page.goto(`${app.url}/c/${conversationId}`);
	await page.getByLabel('Message').fill(text);
	await page.getByLabel('Message').press('Enter');
	await expect.poll(() => page.getByTestId('chat-message').allTextContents(), { timeout: 15_000 }).toContainEqual(expect.stringContaining(text));
	await expect.poll(() => page.getByTestId('sync-pending').textContent(), { timeout: 30_000 }).toContain('All changes saved');
}

async function goOffline(context: BrowserContext, page: Page) {
	await context.setOffline(true);
	await expect.poll(() => page.getByTestId('sync-status').getAttribute('data-online'), { timeout: 10_000 }).toBe('false');
}

const hitSubjects = (page: Page) => page.getByTestId('search-hit').locator('.conv-subject').allTextContents();

describe('search with no network', () => {
	it('finds a chat message by a word, in any case, from what this device holds, and says so', async () => {
		const { context, page } = await signIn('alice');
		await writeChat(page, ids.redesign, 'The quokka mockups are in the drive');
		await writeChat(page, ids.order, 'Courier says the parcel went to Zanzibar by mistake');
		await goOffline(context, page);

		const search = page.getByTestId('search-input');
		await search.fill('zanzibar');
		await expect.poll(() => hitSubjects(page), { timeout: 10_000 }).toEqual([DemoConversations.order.subject]);
		expect(await page.getByTestId('search-offline').textContent()).toBe('Offline — searching what this device holds');
		expect(await page.getByTestId('search-snippet').first().locator('mark').allTextContents()).toEqual(['Zanzibar']);
		// a task title and another conversation's chat are there too
		await search.fill('QUOKKA');
		await expect.poll(() => hitSubjects(page), { timeout: 10_000 }).toEqual([DemoConversations.redesign.subject]);
		await search.fill('wireframes');
		await expect.poll(() => hitSubjects(page), { timeout: 10_000 }).toEqual([DemoConversations.redesign.subject]);
		await context.close();
	});

	it("a guest's device finds her conversation's chat, and nothing of a conversation she is not in", async () => {
		const { context, page } = await signIn('nora');
		await page.goto(`${app.url}/c/${ids.order}`);
		await expect.poll(() => page.getByTestId('chat-message').allTextContents(), { timeout: 15_000 }).toContainEqual(expect.stringContaining('Zanzibar'));
		await goOffline(context, page);

		const search = page.getByTestId('search-input');
		await search.fill('Zanzibar');
		await expect.poll(() => hitSubjects(page), { timeout: 10_000 }).toEqual([DemoConversations.order.subject]);
		expect(await page.getByTestId('search-offline').count()).toBe(1);
		await search.fill('quokka');
		await expect.poll(() => page.getByTestId('search-empty').textContent(), { timeout: 10_000 }).toContain('Nothing this device holds mentions “quokka”');
		expect(await page.getByTestId('search-hit').count()).toBe(0);
		await search.fill('wireframes');
		await expect.poll(() => page.getByTestId('search-empty').count(), { timeout: 10_000 }).toBe(1);
		await context.close();
	});
});
