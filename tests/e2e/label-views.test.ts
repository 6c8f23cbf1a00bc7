// One view per label in Chromium (and the label history a member's timeline shows), against the built app with the seeded demo: Alice and Bob are
// members of Acme (labels Urgent and Shipping; the order conversation is labelled Urgent), Nora a
// guest of that conversation who owns an organization of her own.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client } from '@libsql/client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, signInWithPassword, startApp, type RunningApp } from './harness.ts';
import { DEMO_PASSWORD, DemoConversations, DemoUsers } from '../../src/lib/server/seed.ts';

let app: RunningApp;
let browser: Browser;
let db: Client;
let orderId: string;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
	[app, browser] = await Promise.all([startApp(), launchChromium()]);
	db = createClient({ url: app.databaseUrl });
	orderId = String((await db.execute({ sql: 'SELECT id FROM conversations WHERE subject = ?', args: [DemoConversations.order.subject] })).rows[0].id);
	const nora = await db.execute({ sql: 'SELECT id FROM users WHERE email = ?', args: [DemoUsers.nora.email] });
	await db.execute({
		sql: `INSERT INTO conversation_participants (conversation_id, user_id, role, invited_by, added_at) VALUES (?, ?, 'guest', NULL, ?)`,
		args: [orderId, String(nora.rows[0].id), Date.now()]
	});
}, 90_000);
afterAll(async () => {
	for (const c of contexts) await c.close().catch(() => {});
	db?.close();
	await browser?.close();
	await app?.stop();
	if (app) fs.rmSync(path.dirname(app.databaseUrl.slice('file:'.length)), { recursive: true, force: true });
});

async function signIn(name: 'alice' | 'bob' | 'nora'): Promise<Page> {
	const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
	contexts.push(context);
	const page = await context.newPage();
	page.on('pageerror', (e) => console.error(`[${name}] pageerror`, e.message));
	await signInWithPassword(page, app, DemoUsers[name].email, DEMO_PASSWORD);
	return page;
}
const rows = (page: Page, subject: string) => page.getByTestId('conversation-row').filter({ hasText: subject });
const labelLink = (page: Page, name: string) => page.getByTestId('label-view').filter({ hasText: name });

describe('label views', () => {
	it('a member has one view per label in the sidebar, listing the open conversations carrying it, live', async () => {
		const [alice, bob] = await Promise.all([signIn('alice'), signIn('bob')]);
		await expect.poll(() => labelLink(alice, 'Urgent').count(), { timeout: 15_000 }).toBe(1);
		expect(await labelLink(alice, 'Shipping').count()).toBe(1);

		await labelLink(alice, 'Urgent').click();
		await alice.waitForURL('**/?label=urgent');
		await expect.poll(() => rows(alice, DemoConversations.order.subject).count(), { timeout: 10_000 }).toBe(1);
		expect(await rows(alice, DemoConversations.redesign.subject).count()).toBe(0);
		expect(await alice.getByTestId('list-eyebrow').textContent()).toBe('Label · Urgent');

		// Bob watches Shipping: empty until Alice labels the order conversation Shipping
		await labelLink(bob, 'Shipping').click();
		await bob.waitForURL('**/?label=shipping');
		await expect.poll(() => bob.getByText('Nothing open is labelled Shipping').count(), { timeout: 10_000 }).toBe(1);
		await rows(alice, DemoConversations.order.subject).click();
		await alice.waitForURL(`**/c/${orderId}?label=urgent`);
		// the way back (the phone's back link) leads to the label's view and says so
		expect(await alice.getByTestId('back-link').getAttribute('href')).toBe('/?label=urgent');
		expect(await alice.getByTestId('back-link').textContent()).toContain('Urgent');
		await alice.getByLabel('Edit labels').click();
		await alice.getByRole('group', { name: 'Organization labels' }).getByText('Shipping').click();
		await expect.poll(() => rows(bob, DemoConversations.order.subject).count(), { timeout: 10_000 }).toBe(1);
		// the change is in the members' timeline with who made it
		await expect.poll(() => alice.getByTestId('history-event').allTextContents(), { timeout: 10_000 }).toContainEqual(expect.stringContaining('Alice Archer added the label Shipping'));
		// and removing Urgent takes it out of Alice's Urgent view
		await alice.getByRole('button', { name: 'Remove label Urgent' }).click();
		await expect.poll(() => rows(alice, DemoConversations.order.subject).count(), { timeout: 10_000 }).toBe(0);
	});

	it('a guest has no view of the labels of a conversation she is a guest of, and opening one by its address is a 404', async () => {
		const nora = await signIn('nora');
		await nora.getByTestId('folder-shared').click();
		await expect.poll(() => rows(nora, DemoConversations.order.subject).count(), { timeout: 15_000 }).toBe(1);
		expect(await nora.getByTestId('label-view').count()).toBe(0);
		for (const id of ['urgent', 'shipping']) {
			const res = await nora.goto(`${app.url}/?label=${id}`);
			expect(res?.status()).toBe(404);
			const text = await nora.locator('body').innerText();
			expect(text).not.toContain(DemoConversations.order.subject);
			expect(text).not.toMatch(/Urgent|Shipping/);
		}
	});
});
