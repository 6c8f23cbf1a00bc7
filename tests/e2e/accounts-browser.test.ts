// A person in real Chromium: sign up, create organizations, sign out, sign in by an emailed
// link read from the dev outbox, switch organizations; a seeded user joins a second org by invitation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, signInWithPassword, startApp, type RunningApp } from './harness.ts';
import { DEMO_PASSWORD, DemoOrgs, DemoUsers } from '../../src/lib/server/seed.ts';

let app: RunningApp;
let browser: Browser;
beforeAll(async () => {
	[app, browser] = await Promise.all([startApp(), launchChromium()]);
});
afterAll(async () => {
	await browser?.close();
	await app?.stop();
});

async function currentOrg(page: Page) {
	return (await page.getByTestId('current-org').textContent())?.trim();
}

async function switchTo(page: Page, orgName: string) {
	await page.getByLabel('Switch organization').click();
	await page.getByRole('button', { name: orgName, exact: true }).click();
	await expect.poll(() => currentOrg(page)).toBe(orgName);
	await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe(orgName);
}

/** Opens the newest outbox mail to `to` and follows its first link. */
async function followMailLink(page: Page, to: string, pathPart: string) {
	await page.goto(`${app.url}/dev/mail`);
	const mail = page.getByTestId('mail').filter({ has: page.getByTestId('mail-to').getByText(to, { exact: true }) }).first();
	const link = mail.locator(`a[href*="${pathPart}"]`).first();
	await link.click();
	await page.waitForURL((url) => url.pathname.startsWith(pathPart));
}

describe('accounts and organizations in Chromium', () => {
	it('signs up, creates two organizations, signs out, signs in by email link and switches organization', async () => {
		const context = await browser.newContext();
		const page = await context.newPage();
		const erin = { name: 'Erin Example', email: `erin-${Date.now()}@example.com`, password: 'correct horse battery' };

		await page.goto(app.url);
		await page.waitForURL('**/signin');
		await page.getByRole('link', { name: 'Create an account' }).click();
		await page.getByLabel('Your name').fill(erin.name);
		await page.getByLabel('Work email').fill(erin.email);
		await page.getByLabel('Password').fill(erin.password);
		await page.getByRole('button', { name: 'Create account' }).click();
		await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe(`Welcome to Parley, ${erin.name}`);
		expect(await page.getByTestId('user-name').textContent()).toBe(erin.name);

		// a too-long organization name is refused next to the form
		await page.getByRole('link', { name: 'Create an organization' }).click();
		await page.getByLabel('Organization name').evaluate((el) => el.removeAttribute('maxlength'));
		await page.getByLabel('Organization name').fill('x'.repeat(81));
		await page.getByRole('button', { name: 'Create organization' }).click();
		await expect.poll(() => page.getByRole('alert').textContent()).toContain('at most 80');

		await page.getByLabel('Organization name').fill('Erin Design Co');
		await page.getByRole('button', { name: 'Create organization' }).click();
		await expect.poll(() => currentOrg(page)).toBe('Erin Design Co');

		await page.getByLabel('Switch organization').click();
		await page.getByRole('link', { name: '+ New organization' }).click();
		await page.getByLabel('Organization name').fill('Erin Side Project');
		await page.getByRole('button', { name: 'Create organization' }).click();
		await expect.poll(() => currentOrg(page)).toBe('Erin Side Project');

		await page.getByRole('button', { name: 'Sign out', exact: true }).click();
		await page.waitForURL('**/signin');
		await page.goto(app.url);
		await page.waitForURL('**/signin'); // really signed out

		await page.getByRole('tab', { name: 'Email me a link' }).click();
		await page.getByLabel('Email').fill(erin.email);
		await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
		await expect.poll(() => page.getByRole('status').textContent()).toContain('If an account exists');

		await followMailLink(page, erin.email, '/signin/link');
		expect(await page.getByText(`You are signing in as ${erin.email}`).count()).toBe(1);
		await page.getByRole('button', { name: 'Continue and sign in' }).click();
		await page.waitForURL(`${app.url}/`);
		expect(await page.getByTestId('user-name').textContent()).toBe(erin.name);

		await switchTo(page, 'Erin Design Co');
		await switchTo(page, 'Erin Side Project');
		// the choice is stored in the session: it survives a reload
		await page.reload();
		expect(await currentOrg(page)).toBe('Erin Side Project');

		// the used link no longer works
		await followMailLink(page, erin.email, '/signin/link');
		await expect.poll(() => page.getByRole('alert').textContent()).toContain('already been used');
		await context.close();
	});

	it('a seeded user invited to a second organization accepts and switches between the two', async () => {
		const aliceContext = await browser.newContext();
		const alice = await aliceContext.newPage();
		await signInWithPassword(alice, app, DemoUsers.alice.email, DEMO_PASSWORD);
		await expect.poll(() => currentOrg(alice)).toBe(DemoOrgs.acme.name);
		await alice.getByRole('link', { name: 'Members' }).first().click();
		await expect.poll(() => alice.getByRole('heading', { level: 1 }).textContent()).toBe('Members');
		await alice.getByLabel('Email address').fill(DemoUsers.nora.email);
		await alice.getByRole('button', { name: 'Send invitation' }).click();
		await expect.poll(() => alice.getByRole('status').textContent()).toContain(`Invitation sent to ${DemoUsers.nora.email}`);
		expect(await alice.getByRole('list', { name: 'Pending invitations' }).textContent()).toContain(DemoUsers.nora.email);

		const noraContext = await browser.newContext();
		const nora = await noraContext.newPage();
		await followMailLink(nora, DemoUsers.nora.email, '/invite/');
		await expect.poll(() => nora.getByRole('heading', { level: 1 }).textContent()).toBe(`Join ${DemoOrgs.acme.name}`);
		await nora.getByRole('link', { name: /I already have an account/ }).click();
		await nora.getByLabel('Email').fill(DemoUsers.nora.email);
		await nora.getByLabel('Password').fill(DEMO_PASSWORD);
		await nora.getByRole('button', { name: 'Sign in' }).click();
		await nora.waitForURL((url) => url.pathname.startsWith('/invite/'));
		await nora.getByRole('button', { name: `Join ${DemoOrgs.acme.name}` }).click();
		await expect.poll(() => currentOrg(nora)).toBe(DemoOrgs.acme.name);

		await switchTo(nora, DemoOrgs.northwind.name);
		await switchTo(nora, DemoOrgs.acme.name);
		expect(await nora.getByRole('list', { name: 'Conversations' }).textContent()).toContain('Order #1042 arrived damaged');

		// Alice sees Nora as a member now, and no pending invitation
		await alice.reload();
		expect(await alice.getByRole('list', { name: 'Members' }).textContent()).toContain('Nora North');
		expect(await alice.getByText('No pending invitations.').count()).toBe(1);
		await Promise.all([aliceContext.close(), noraContext.close()]);
	});

	it('fits a phone-width screen without horizontal scrolling', async () => {
		const context = await browser.newContext({ viewport: { width: 375, height: 740 } });
		const page = await context.newPage();
		await signInWithPassword(page, app, DemoUsers.bob.email, DEMO_PASSWORD);
		await expect.poll(() => currentOrg(page)).toBe(DemoOrgs.acme.name);
		const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
		expect(overflow).toBeLessThanOrEqual(0);
		await context.close();
	});
});
