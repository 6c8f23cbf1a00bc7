// Paper cuts of signing in (issue 14, item 9): a signed-out post to any of the app's form actions is
// sent to sign-in (303 for a form, 401 for an enhanced form or JSON) and changes nothing, instead of
// a 500; the page of a bad sign-in link has the form it promises; a wrong password is cleared.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client } from '@libsql/client';
import type { Browser } from 'playwright-core';
import { launchChromium, postForm, readOutboxLinks, signInWithPassword, startApp, type RunningApp } from './harness.ts';
import { DEMO_PASSWORD, DemoConversations, DemoOrgs, DemoUsers } from '../../src/lib/server/seed.ts';

let app: RunningApp;
let browser: Browser;
let db: Client;
let acmeId: string;
let conversationId: string;
beforeAll(async () => {
	[app, browser] = await Promise.all([startApp(), launchChromium()]);
	db = createClient({ url: app.databaseUrl });
	acmeId = String((await db.execute({ sql: 'SELECT id FROM organizations WHERE name = ?', args: [DemoOrgs.acme.name] })).rows[0].id);
	conversationId = String((await db.execute({ sql: 'SELECT id FROM conversations WHERE subject = ?', args: [DemoConversations.order.subject] })).rows[0].id);
});
afterAll(async () => {
	await browser?.close();
	db?.close();
	await app?.stop();
});

/** What the database holds that these posts would change. */
async function state() {
	const rows = await Promise.all(
		[
			'SELECT inbound_secret_hash, inbox_address, guests_allowed FROM organizations ORDER BY id',
			'SELECT count(*) AS n FROM invitations',
			'SELECT count(*) AS n FROM organizations',
			'SELECT count(*) AS n FROM conversations',
			'SELECT count(*) AS n FROM mail_outbox'
		].map(async (sql) => JSON.stringify((await db.execute(sql)).rows))
	);
	return rows.join('\n');
}

describe('signed out', () => {
	const actions = (): { path: string; action: string; fields: Record<string, string> }[] => [
		{ path: `/orgs/${acmeId}/inbound`, action: 'rotate', fields: {} },
		{ path: `/orgs/${acmeId}/inbound`, action: 'address', fields: { address: 'mine@parley.localhost' } },
		{ path: `/orgs/${acmeId}/members`, action: 'invite', fields: { email: 'x@example.com', role: 'member' } },
		{ path: `/orgs/${acmeId}/guests`, action: 'settings', fields: { guestsAllowed: 'off' } },
		{ path: `/c/${conversationId}/guests`, action: 'invite', fields: { email: 'guest@example.com' } },
		{ path: `/c/${conversationId}/guests`, action: 'guestsAllowed', fields: { allowed: 'off' } },
		{ path: '/', action: 'createChannel', fields: { orgId: acmeId, subject: 'Sneaky' } },
		{ path: '/notifications', action: 'read', fields: {} },
		{ path: '/settings/notifications', action: 'save', fields: { level: 'none' } }
	];

	it('a form post to an app action is sent to sign-in, and changes nothing', async () => {
		const before = await state();
		for (const { path, action, fields } of [...actions(), { path: '/orgs/new', action: '', fields: { name: 'Sneaky Co' } }]) {
			const res = await postForm(app, `${path}${action ? `?/${action}` : ''}`, fields);
			expect([path, action, res.status]).toEqual([path, action, 303]);
			expect(res.location).toBe(path === '/' ? '/signin' : `/signin?redirectTo=${encodeURIComponent(path)}`);
		}
		expect(await state()).toBe(before);
	});

	it('an enhanced form post (x-sveltekit-action) or a JSON request gets 401', async () => {
		const before = await state();
		for (const { path, action, fields } of actions()) {
			const res = await fetch(`${app.url}${path}?/${action}`, {
				method: 'POST',
				headers: { origin: app.url, 'x-sveltekit-action': 'true', accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
				body: new URLSearchParams(fields)
			});
			expect([path, action, res.status]).toEqual([path, action, 401]);
			// an action result SvelteKit's enhance follows: the page goes to sign-in
			expect(await res.json()).toMatchObject({ type: 'redirect', location: expect.stringMatching(/^\/signin/) });
		}
		const json = await fetch(`${app.url}/orgs/${acmeId}/inbound?/rotate`, { method: 'POST', headers: { origin: app.url, accept: 'application/json' } });
		expect(json.status).toBe(401);
		expect(await state()).toBe(before);
	});

	it('an enhanced form in a page whose session ended takes the person to sign-in', async () => {
		const context = await browser.newContext();
		const page = await context.newPage();
		await signInWithPassword(page, app, DemoUsers.alice.email, DEMO_PASSWORD);
		await page.goto(`${app.url}/orgs/${acmeId}/inbound`);
		const before = await state();
		await context.clearCookies(); // the session is gone (signed out elsewhere, expired)
		await page.getByRole('button', { name: /secret/ }).click();
		await page.waitForURL((url) => url.pathname === '/signin');
		expect(new URL(page.url()).searchParams.get('redirectTo')).toBe(`/orgs/${acmeId}/inbound`);
		expect(await state()).toBe(before);
		await context.close();
	});

	it('the page of a used or bad sign-in link asks for a new one, and the new one works', async () => {
		const context = await browser.newContext();
		const page = await context.newPage();
		await page.goto(`${app.url}/signin/link?token=abc`);
		await expect.poll(() => page.getByRole('alert').textContent()).toContain('Ask for a new one below');
		await page.getByLabel('Email').fill(DemoUsers.bob.email);
		await page.getByRole('button', { name: 'Email me a new link' }).click();
		await expect.poll(() => page.getByRole('status').textContent()).toContain('If an account exists');
		const [link] = await readOutboxLinks(app, DemoUsers.bob.email);
		expect(link).toContain('/signin/link?token=');
		await page.goto(link);
		await page.getByRole('button', { name: 'Continue and sign in' }).click();
		await page.waitForURL(`${app.url}/`);
		expect(await page.getByTestId('user-name').textContent()).toBe(DemoUsers.bob.name);
		await context.close();
	});

	it('what is typed before the page has loaded its scripts is kept, and signs in', async () => {
		const context = await browser.newContext();
		const page = await context.newPage();
		// a slow connection: the page is shown, its scripts arrive only after the person has typed
		let release!: () => void;
		const held = new Promise<void>((resolve) => (release = resolve));
		await page.route('**/_app/immutable/**', async (route) => {
			await held;
			await route.continue();
		});
		await page.goto(`${app.url}/signin`, { waitUntil: 'commit' });
		await page.getByLabel('Email').first().fill(DemoUsers.bob.email);
		await page.getByLabel('Password').fill(DEMO_PASSWORD);
		release();
		await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
		expect(await page.getByLabel('Email').first().inputValue()).toBe(DemoUsers.bob.email);
		await page.getByRole('button', { name: 'Sign in' }).click();
		await page.waitForURL(`${app.url}/`, { waitUntil: 'commit' });
		await context.close();
	});

	it('a wrong password is cleared from the field; the email stays', async () => {
		const context = await browser.newContext();
		const page = await context.newPage();
		await page.goto(`${app.url}/signin`);
		await page.getByLabel('Email').fill(DemoUsers.bob.email);
		await page.getByLabel('Password').fill('not-the-password');
		await page.getByRole('button', { name: 'Sign in' }).click();
		await expect.poll(() => page.getByRole('alert').textContent()).toContain('do not match');
		expect(await page.getByLabel('Password').inputValue()).toBe('');
		expect(await page.getByLabel('Email').inputValue()).toBe(DemoUsers.bob.email);
		await page.getByLabel('Password').fill(DEMO_PASSWORD);
		await page.getByRole('button', { name: 'Sign in' }).click();
		await page.waitForURL(`${app.url}/`);
		await context.close();
	});
});
