// The guests page of one conversation in Chromium, as a member uses it: the invite form says what a
// guest will see, a new invitation shows at once as pending (with Withdraw) instead of "0 guests",
// the timeline's "invitation pending" turns into who joined (or "withdrawn"), and removing a guest
// asks first.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '@libsql/client';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, readOutboxLinks, signInWithPassword, startApp, type RunningApp } from './harness.ts';
import { DEMO_PASSWORD, DemoConversations, DemoUsers } from '../../src/lib/server/seed.ts';

let app: RunningApp;
let browser: Browser;
let conversationId: string;

beforeAll(async () => {
	[app, browser] = await Promise.all([startApp(), launchChromium()]);
	const db = createClient({ url: app.databaseUrl });
	conversationId = String((await db.execute({ sql: 'SELECT id FROM conversations WHERE subject = ?', args: [DemoConversations.redesign.subject] })).rows[0].id);
	db.close();
});
afterAll(async () => {
	await browser?.close();
	await app?.stop();
});

async function signInAlice(): Promise<Page> {
	const page = await (await browser.newContext({ viewport: { width: 1360, height: 900 } })).newPage();
	await signInWithPassword(page, app, DemoUsers.alice.email, DEMO_PASSWORD);
	return page;
}

async function invite(page: Page, email: string) {
	const form = page.getByTestId('guest-invite');
	await form.getByLabel('Email address').fill(email);
	await form.getByRole('button', { name: 'Send invitation' }).click();
	await expect.poll(() => form.getByTestId('guest-invite-message').textContent()).toBe(`Invitation sent to ${email}.`);
}

const events = (page: Page) => page.getByTestId('thread-event').allInnerTexts();

describe('the guests page of a conversation', () => {
	it('warns what a guest sees, lists a new invitation at once, and says in the timeline when it was withdrawn or accepted', async () => {
		const alice = await signInAlice();
		const guestsPage = `${app.url}/c/${conversationId}/guests`;
		await alice.goto(guestsPage);
		expect(await alice.getByTestId('guest-invite-warning').innerText()).toContain('whole chat history');

		const first = `pia-${Date.now()}@example.com`;
		await invite(alice, first);
		// no reload: the pending invitation is listed, and the heading does not say "0 guests"
		await expect.poll(() => alice.getByTestId('pending-row').filter({ hasText: first }).count()).toBe(1);
		expect(await alice.getByTestId('guests-heading').innerText()).toBe('No guests yet · 1 invitation pending');
		await alice.getByTestId('pending-row').filter({ hasText: first }).getByRole('button', { name: 'Withdraw' }).click();
		await expect.poll(() => alice.getByTestId('pending-row').count()).toBe(0);

		await alice.goto(`${app.url}/c/${conversationId}`);
		await expect.poll(() => events(alice)).toContainEqual(expect.stringContaining('Alice Archer invited someone as a guest — invitation withdrawn'));

		// a second invitation, accepted by a new person: the timeline says who joined, nothing stays pending
		const second = `quinn-${Date.now()}@example.com`;
		await invite(alice, second);
		await expect.poll(() => events(alice)).toContainEqual(expect.stringContaining('invitation pending'));
		const [link] = await readOutboxLinks(app, second);
		const guest = await (await browser.newContext()).newPage();
		await guest.goto(link);
		await guest.getByLabel('Your name').fill('Quinn Guest');
		await guest.getByLabel('Password').fill('correct horse battery');
		await guest.getByRole('button', { name: 'Create account and join' }).click();
		await guest.waitForURL((url) => url.pathname === `/c/${conversationId}`);

		await expect.poll(() => events(alice), { timeout: 10_000 }).toContainEqual(expect.stringContaining('Alice Archer invited Quinn Guest as a guest — Quinn Guest joined'));
		expect((await events(alice)).filter((e) => e.includes('pending'))).toEqual([]);
		// the same in the guest's own timeline
		await expect.poll(() => events(guest), { timeout: 10_000 }).toContainEqual(expect.stringContaining('invited Quinn Guest as a guest — Quinn Guest joined'));
		await guest.context().close();
		await alice.context().close();
	});

	it('removing a guest asks first; Cancel keeps her', async () => {
		const alice = await signInAlice();
		const email = `rita-${Date.now()}@example.com`;
		await alice.goto(`${app.url}/c/${conversationId}/guests`);
		await invite(alice, email);
		const [link] = await readOutboxLinks(app, email);
		const guest = await (await browser.newContext()).newPage();
		await guest.goto(link);
		await guest.getByLabel('Your name').fill('Rita Guest');
		await guest.getByLabel('Password').fill('correct horse battery');
		await guest.getByRole('button', { name: 'Create account and join' }).click();
		await guest.waitForURL((url) => url.pathname === `/c/${conversationId}`);
		await guest.context().close();

		await alice.reload();
		const row = alice.getByTestId('guest-row').filter({ hasText: email });
		await row.getByRole('button', { name: 'Remove Rita Guest' }).click();
		expect(await row.getByTestId('confirm').innerText()).toContain('Remove Rita Guest from this conversation?');
		await row.getByRole('button', { name: 'Cancel' }).click();
		expect(await row.count()).toBe(1);
		await alice.reload();
		expect(await alice.getByTestId('guest-row').filter({ hasText: email }).count()).toBe(1);

		await row.getByRole('button', { name: 'Remove Rita Guest' }).click();
		await row.getByRole('button', { name: 'Yes, remove' }).click();
		await expect.poll(() => alice.getByTestId('guest-row').filter({ hasText: email }).count(), { timeout: 10_000 }).toBe(0);
		await alice.context().close();
	});
});
