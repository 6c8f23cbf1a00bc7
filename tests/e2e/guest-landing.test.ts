// Where a guest lands after accepting an invitation (real Chromium; the invitation mail is read from
// the dev outbox). Nora, owner of Northwind, lands on the conversation listed under "Shared with
// you", not beside her own organization's empty inbox. Olga, new to Parley and with no organization,
// signs up from the link: "Shared with you" is her home and nothing offers her an organization's inbox.
// Olga types before the page's JavaScript has run (as on a loaded machine or a slow phone): what she
// typed must survive hydration (a `value={…}` input was emptied by it, her sign-up then stopped at
// "Your name" being required and the test timed out waiting for the conversation).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, readOutboxLinks, signInWithPassword, startApp, type RunningApp } from './harness.ts';
import { DEMO_PASSWORD, DemoConversations, DemoOrgs, DemoUsers } from '../../src/lib/server/seed.ts';

let app: RunningApp;
let browser: Browser;
const subject = DemoConversations.order.subject;

beforeAll(async () => {
	[app, browser] = await Promise.all([startApp(), launchChromium()]);
});

afterAll(async () => {
	await browser?.close();
	await app?.stop();
});

/**
 * Runs one step of a user's path; a failure says which step, where the page was and what it showed
 * (the list beside it, alerts, fields the browser refused) and what the server printed last.
 */
async function step<T>(page: Page, name: string, run: () => Promise<T>): Promise<T> {
	try {
		return await run();
	} catch (err) {
		const seen = await page
			.evaluate(() => ({
				title: document.title,
				heading: document.querySelector('h1')?.textContent?.trim(),
				list: document.querySelector('#list-title')?.textContent?.trim(),
				alerts: [...document.querySelectorAll('[role=alert]')].map((e) => e.textContent?.trim()),
				refusedFields: [...document.querySelectorAll<HTMLInputElement>('input:invalid')].map((e) => `${e.name}: ${e.validationMessage}`)
			}))
			.catch((e: Error) => ({ unreadable: e.message }));
		const output = app.output().trim().split('\n').slice(-15).join('\n');
		throw new Error(`${name}: ${(err as Error).message}\n  at ${page.url()}\n  the page showed ${JSON.stringify(seen)}\n  the server printed last:\n${output}`, { cause: err });
	}
}

async function newPage(): Promise<Page> {
	const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
	return context.newPage();
}

async function signIn(page: Page, email: string) {
	await signInWithPassword(page, app, email, DEMO_PASSWORD);
}

let alice: Page;
let conversationPath: string;
/** Alice invites `email` into the order conversation; resolves with the link from the mail. */
async function invite(email: string): Promise<string> {
	if (!alice) {
		alice = await newPage();
		await signIn(alice, DemoUsers.alice.email);
		await alice.getByTestId('conversation-row').filter({ hasText: subject }).click();
		await alice.waitForURL((url) => url.pathname.startsWith('/c/'));
		conversationPath = new URL(alice.url()).pathname;
	}
	await step(alice, `Alice invites ${email}`, async () => {
		await alice.goto(`${app.url}${conversationPath}/guests`);
		const form = alice.getByTestId('guest-invite');
		await form.getByLabel('Email address').fill(email);
		await form.getByRole('button', { name: 'Send invitation' }).click();
		// enhanced, the form says so itself; submitted before hydration, the page's notice does
		await expect.poll(() => alice.getByText(`Invitation sent to ${email}.`).count(), { timeout: 15_000 }).toBeGreaterThan(0);
	});
	let link: string | undefined;
	await expect.poll(async () => (link = (await readOutboxLinks(app, email)).find((l) => l.includes('/invite/guest/'))), { timeout: 10_000 }).toBeTruthy();
	return link!;
}

/** The page shows the conversation, with "Shared with you" as the list beside it and the conversation in it. */
async function expectOnConversationInShared(page: Page) {
	await step(page, 'landing on the conversation under Shared with you', () => landedInShared(page));
}
async function landedInShared(page: Page) {
	await page.waitForURL((url) => url.pathname === conversationPath);
	await expect.poll(() => page.getByRole('heading', { name: subject }).count(), { timeout: 15_000 }).toBeGreaterThan(0);
	await expect.poll(() => page.locator('#list-title').textContent().then((t) => t?.trim()), { timeout: 15_000 }).toBe('Shared with you');
	const row = page.getByTestId('conversation-row').filter({ hasText: subject });
	await expect.poll(() => row.getAttribute('aria-current'), { timeout: 15_000 }).toBe('page');
	expect(await page.getByTestId('folder-shared').getAttribute('aria-current')).toBe('page');
	expect(await page.getByText('Inbox zero').count()).toBe(0);
	expect(await page.getByText('No organization yet').count()).toBe(0);
}

describe('a guest accepting an invitation', () => {
	it('Nora, who has an organization, lands on the conversation under Shared with you', async () => {
		const link = await invite(DemoUsers.nora.email);
		const nora = await newPage();
		await signIn(nora, DemoUsers.nora.email);
		await nora.goto(link);
		await nora.getByRole('button', { name: 'Join the conversation' }).click();
		await expectOnConversationInShared(nora);
		// her own organization is still hers, one click away
		expect(await nora.getByTestId('current-org').textContent()).toContain(DemoOrgs.northwind.name);
		expect(await nora.getByTestId('folder-inbox').count()).toBe(1);
	});

	it('Olga, with no organization, signs up from the link and has Shared with you as home', async () => {
		const email = `olga-${Date.now()}@example.com`;
		const link = await invite(email);
		const olga = await newPage();
		// the app's JavaScript is held back until she has typed everything
		let release!: () => void;
		const typed = new Promise<void>((resolve) => (release = resolve));
		const held = /\/_app\/immutable\/.*\.js$/;
		await olga.route(held, async (route) => {
			await typed;
			await route.continue();
		});
		await olga.goto(link, { waitUntil: 'domcontentloaded' });
		await olga.getByLabel('Your name').fill('Olga Oak');
		await olga.getByLabel('Password').fill('olga password 1');
		release();
		await olga.waitForLoadState('networkidle');
		await olga.unroute(held);
		// what she typed is still there once the page came alive
		expect(await olga.getByLabel('Your name').inputValue()).toBe('Olga Oak');
		expect(await olga.getByLabel('Password').inputValue()).toBe('olga password 1');
		await olga.getByRole('button', { name: 'Create account and join' }).click();
		await expectOnConversationInShared(olga);

		// home ("/", the brand link) is what is shared with her, not an organization's inbox
		await step(olga, 'going home', async () => {
			await olga.getByRole('link', { name: 'Parley' }).first().click();
			await olga.waitForURL(`${app.url}/`);
			await expect.poll(() => olga.locator('#list-title').textContent().then((t) => t?.trim()), { timeout: 15_000 }).toBe('Shared with you');
			await expect.poll(() => olga.getByTestId('conversation-row').filter({ hasText: subject }).count(), { timeout: 15_000 }).toBe(1);
		});
		expect(await olga.getByText('No organization yet').count()).toBe(0);
		expect(await olga.getByText('Create an organization').count()).toBe(0);
		// no organization folders to lead her to an empty inbox
		expect(await olga.getByTestId('folder-inbox').count()).toBe(0);
		expect(await olga.getByTestId('folder-shared').getAttribute('aria-current')).toBe('page');
	});
});
