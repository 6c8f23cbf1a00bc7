// An open tab when the network goes (Chromium, the network cut with context.setOffline): the status
// bar says offline without a reload, a chat message written meanwhile carries a pending mark until
// the relay acknowledged it, and the bar says online again once the network is back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client } from '@libsql/client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, signInWithPassword, startApp, type RunningApp } from './harness.ts';
import { DEMO_PASSWORD, DemoConversations, DemoUsers } from '../../src/lib/server/seed.ts';

let app: RunningApp;
let browser: Browser;
let db: Client;
let conversationId: string;

beforeAll(async () => {
	[app, browser] = await Promise.all([startApp(), launchChromium()]);
	db = createClient({ url: app.databaseUrl });
	const conv = await db.execute({ sql: 'SELECT id FROM conversations WHERE subject = ?', args: [DemoConversations.order.subject] });
	conversationId = String(conv.rows[0].id);
});

afterAll(async () => {
	db?.close();
	await browser?.close();
	await app?.stop();
});

async function signIn(name: 'alice' | 'bob'): Promise<{ context: BrowserContext; page: Page }> {
	const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
	const page = await context.newPage();
	await signInWithPassword(page, app, DemoUsers[name].email, DEMO_PASSWORD);
	return { context, page };
}

describe('an open tab when the network goes and comes back', () => {
	it('says offline at once, marks messages written offline as pending until acknowledged, and says online again', async () => {
		const { context, page } = await signIn('alice');
		const bob = await signIn('bob');
		for (const p of [page, bob.page]) {
			await p.goto(`${app.url}/c/${conversationId}`);
			await expect.poll(() => p.getByTestId('sync-status').getAttribute('data-online'), { timeout: 20_000 }).toBe('true');
		}
		const status = page.getByTestId('sync-status');

		await context.setOffline(true);
		// no reload: the open tab notices by itself
		await expect.poll(() => status.getAttribute('data-online'), { timeout: 5_000 }).toBe('false');
		await expect.poll(() => status.textContent()).toContain('Offline');

		const text = `Written with no network ${Date.now()}`;
		await page.getByLabel('Message').fill(text);
		await page.getByLabel('Message').press('Enter');
		const mine = page.getByTestId('chat-message').filter({ hasText: text });
		await expect.poll(() => mine.getByTestId('chat-pending').textContent()).toContain('Waiting to sync');
		// the earlier, acknowledged message carries no mark
		const earlier = page.getByTestId('chat-message').filter({ hasText: 'Warehouse says this batch' });
		await expect.poll(() => earlier.getByTestId('chat-pending').count()).toBe(0);
		await expect.poll(() => page.getByTestId('sync-pending').textContent()).toMatch(/\d+ changes? waiting to sync/);

		await context.setOffline(false);
		await expect.poll(() => status.getAttribute('data-online'), { timeout: 15_000 }).toBe('true');
		await expect.poll(() => mine.getByTestId('chat-pending').count(), { timeout: 15_000 }).toBe(0);
		await expect.poll(() => page.getByTestId('sync-pending').textContent()).toContain('All changes saved');
		// acknowledged means stored: the other member receives it
		await expect.poll(() => bob.page.getByTestId('chat-message').allTextContents(), { timeout: 15_000 }).toContainEqual(expect.stringContaining(text));
	});
});
