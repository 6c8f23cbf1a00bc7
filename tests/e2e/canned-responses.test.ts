// Canned responses in Chromium: Alice adds one for the team and one for herself; Bob, in another
// browser, inserts the team's into his reply with the customer's and his own names filled in, and
// never sees Alice's own; a variable without a value is pointed out before sending; Alice's signature
// starts her replies and new emails (and nobody else's); and a guest of
// the conversation gets neither the page nor the organization's responses document.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '@libsql/client';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, signInWithPassword, startApp, type RunningApp } from './harness.ts';
import { DEMO_PASSWORD, DemoConversations, DemoUsers } from '../../src/lib/server/seed.ts';

let app: RunningApp;
let browser: Browser;
let conversationId: string;
let orgId: string;

async function signIn(name: keyof typeof DemoUsers): Promise<Page> {
	const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
	const page = await context.newPage();
	await signInWithPassword(page, app, DemoUsers[name].email, DEMO_PASSWORD);
	return page;
}

async function addResponse(page: Page, name: string, text: string, scope: 'team' | 'mine') {
	await page.getByLabel('Name').fill(name);
	await page.getByLabel('Text').fill(text);
	await page.getByLabel(scope === 'team' ? /The whole team/ : 'Only me').check();
	await page.getByRole('button', { name: 'Add response' }).click();
	await expect.poll(() => page.getByTestId('canned-row').filter({ hasText: name }).count()).toBe(1);
}

async function openReply(page: Page): Promise<ReturnType<Page['getByTestId']>> {
	await page.goto(`${app.url}/c/${conversationId}`);
	const email = page.getByTestId('email-message').first();
	await email.getByRole('button', { name: 'Reply', exact: true }).click();
	return email;
}

beforeAll(async () => {
	[app, browser] = await Promise.all([startApp(), launchChromium()]);
	const db = createClient({ url: app.databaseUrl });
	const conv = await db.execute({ sql: 'SELECT id, org_id FROM conversations WHERE subject = ?', args: [DemoConversations.order.subject] });
	conversationId = String(conv.rows[0].id);
	orgId = String(conv.rows[0].org_id);
	const nora = await db.execute({ sql: 'SELECT id FROM users WHERE email = ?', args: [DemoUsers.nora.email] });
	await db.execute({
		sql: `INSERT INTO conversation_participants (conversation_id, user_id, role, invited_by, added_at) VALUES (?, ?, 'guest', NULL, ?)`,
		args: [conversationId, String(nora.rows[0].id), Date.now()]
	});
	db.close();
}, 120_000);

afterAll(async () => {
	await browser?.close();
	await app?.stop();
});

describe('canned responses', () => {
	let alice: Page;

	it('a member adds one for the team and one for herself; a blank one is refused with a reason', async () => {
		alice = await signIn('alice');
		await alice.getByRole('link', { name: 'Canned responses' }).click();
		await alice.waitForURL(`**/orgs/${orgId}/canned`);
		await expect.poll(() => alice.getByTestId('canned-empty').count()).toBe(1);
		await alice.getByLabel('Name').fill('   ');
		await alice.getByLabel('Text').fill('Something');
		await alice.getByRole('button', { name: 'Add response' }).click();
		expect(await alice.getByRole('alert').textContent()).toContain('Give the response a name');
		expect(await alice.getByTestId('canned-row').count()).toBe(0);

		await addResponse(alice, 'Replacement on its way', 'Hi {{contact.first_name}},\n\nA replacement ships today.\n\n{{me.first_name}} from {{org.name}}', 'team');
		await addResponse(alice, 'Alice sign-off', 'Cheers, {{contact.nickname}}', 'mine');
		expect(await alice.getByTestId('canned-row').filter({ hasText: 'Alice sign-off' }).textContent()).toContain('Only you');
	});

	it("another member inserts the team's response with the customer's and his own names, and never sees hers", async () => {
		const bob = await signIn('bob');
		const email = await openReply(bob);
		const select = email.getByTestId('canned-select');
		await expect.poll(() => select.locator('option', { hasText: 'Replacement on its way' }).count(), { timeout: 15_000 }).toBe(1);
		expect(await select.locator('option', { hasText: 'Alice sign-off' }).count()).toBe(0);
		await email.getByLabel('Your reply').fill('Hello — ');
		await select.selectOption({ label: 'Replacement on its way' });
		await expect.poll(() => email.getByLabel('Your reply').inputValue()).toBe('Hello — Hi Dana,\n\nA replacement ships today.\n\nBob from Acme Support');
		expect(await email.getByTestId('canned-notice').count()).toBe(0);
	});

	it('a variable without a value is pointed out, and left in the text to fill in', async () => {
		const email = await openReply(alice);
		const select = email.getByTestId('canned-select');
		await expect.poll(() => select.locator('option', { hasText: 'Alice sign-off' }).count(), { timeout: 15_000 }).toBe(1);
		await select.selectOption({ label: 'Alice sign-off' });
		await expect.poll(() => email.getByLabel('Your reply').inputValue()).toBe('Cheers, {{contact.nickname}}');
		expect(await email.getByTestId('canned-notice').textContent()).toContain('{{contact.nickname}}');
	});

	it('a change is live for the team, and a deleted response is gone from the composer', async () => {
		const bob = await signIn('bob');
		const email = await openReply(bob);
		const select = email.getByTestId('canned-select');
		await expect.poll(() => select.locator('option', { hasText: 'Replacement on its way' }).count(), { timeout: 15_000 }).toBe(1);
		await alice.goto(`${app.url}/orgs/${orgId}/canned`);
		const row = alice.getByTestId('canned-row').filter({ hasText: 'Replacement on its way' });
		await row.getByRole('button', { name: 'Delete' }).click();
		await row.getByRole('button', { name: 'Delete' }).click();
		await expect.poll(() => alice.getByTestId('canned-row').filter({ hasText: 'Replacement on its way' }).count()).toBe(0);
		await expect.poll(() => select.locator('option', { hasText: 'Replacement on its way' }).count(), { timeout: 15_000 }).toBe(0);
	});

	it('a signature starts every new reply and email, below the text; a canned response goes above it', async () => {
		await alice.goto(`${app.url}/orgs/${orgId}/canned`);
		await alice.getByRole('textbox', { name: 'Signature', exact: true }).fill('Alice Archer\nAcme Support');
		await alice.getByRole('button', { name: 'Save signature' }).click();
		await expect.poll(() => alice.getByText('Signature saved.').count()).toBe(1);

		const email = await openReply(alice);
		const reply = email.getByLabel('Your reply');
		await expect.poll(() => reply.inputValue(), { timeout: 15_000 }).toBe('\n\n-- \nAlice Archer\nAcme Support');
		await email.getByTestId('canned-select').selectOption({ label: 'Alice sign-off' });
		await expect.poll(() => reply.inputValue()).toBe('Cheers, {{contact.nickname}}\n\n-- \nAlice Archer\nAcme Support');

		await alice.goto(`${app.url}/compose`);
		await expect.poll(() => alice.getByLabel('Message').inputValue(), { timeout: 15_000 }).toBe('\n\n-- \nAlice Archer\nAcme Support');
		// someone else's replies start empty: the signature is Alice's alone
		const bob = await signIn('bob');
		const bobs = await openReply(bob);
		await expect.poll(() => bobs.getByTestId('canned-select').count(), { timeout: 15_000 }).toBe(1);
		expect(await bobs.getByLabel('Your reply').inputValue()).toBe('');
	});

	it("a guest of the conversation gets neither the page nor the organization's responses", async () => {
		const nora = await signIn('nora');
		const res = await nora.goto(`${app.url}/orgs/${orgId}/canned`);
		expect(res?.status()).toBe(404);
		await nora.goto(`${app.url}/c/${conversationId}?folder=shared`);
		await expect.poll(() => nora.getByText('You are a guest').count(), { timeout: 15_000 }).toBe(1);
		expect(await nora.getByTestId('canned-select').count()).toBe(0);
		// her own organization's responses link, perhaps; never Acme's
		expect(await nora.locator(`a[href="/orgs/${orgId}/canned"]`).count()).toBe(0);
		// her page data and storage hold no response text
		expect((await nora.content()).includes('Alice sign-off')).toBe(false);
	});
});
