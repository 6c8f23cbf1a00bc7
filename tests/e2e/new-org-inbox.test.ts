// A new organization can receive email at once (issue 14, item 4): creating it gives it an inbox
// address derived from its name, shown in the empty inbox and on "Email in"; mail sent there
// arrives; owners change it (a bad or taken address is refused and changes nothing); members cannot.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, signInWithPassword, startApp, type RunningApp } from './harness.ts';
import { DEMO_PASSWORD, DemoOrgs, DemoUsers } from '../../src/lib/server/seed.ts';

let app: RunningApp;
let browser: Browser;
let smtpPort: number;
beforeAll(async () => {
	[app, browser] = await Promise.all([startApp(), launchChromium()]);
	smtpPort = Number((await app.waitForOutput(/Email in: SMTP on 127\.0\.0\.1:(\d+)/))[1]);
});
afterAll(async () => {
	await browser?.close();
	await app?.stop();
});

const sendTo = (to: string, subject: string) =>
	nodemailer
		.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true })
		.sendMail({ from: 'Dana <dana@example.com>', to, subject, text: 'Hello from a customer.' });

async function createOrg(page: Page, name: string) {
	await page.goto(`${app.url}/orgs/new`);
	await page.getByLabel('Organization name').fill(name);
	await page.getByRole('button', { name: 'Create organization' }).click();
	await expect.poll(() => page.getByTestId('current-org').textContent()).toBe(name);
}

async function openEmailIn(page: Page) {
	// right after sign-in the page may still be loading: a click before hydration is a full page
	// load, which on a busy machine takes longer than expect.poll's one-second default
	await page.locator('html[data-hydrated]').waitFor({ state: 'attached' });
	await page.getByRole('link', { name: 'Email in' }).click();
	await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), { timeout: 15_000 }).toBe('Email in');
}

describe('a new organization receives email', () => {
	it('gets an address from its name, shows it, receives mail there, and its owner can change it', async () => {
		const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
		const page = await context.newPage();
		const erin = { name: 'Erin Example', email: `erin-${Date.now()}@example.com`, password: 'correct horse battery' };
		await page.goto(`${app.url}/signup`);
		await page.getByLabel('Your name').fill(erin.name);
		await page.getByLabel('Work email').fill(erin.email);
		await page.getByLabel('Password').fill(erin.password);
		await page.getByRole('button', { name: 'Create account' }).click();
		await page.waitForURL(`${app.url}/`);

		await createOrg(page, 'Érin Design & Co');
		const address = 'erin-design-co@parley.localhost';
		await expect.poll(() => page.getByTestId('inbox-empty-address').textContent()).toBe(`Email sent to ${address} appears here, and so do the channels you start.`);

		await openEmailIn(page);
		expect(await page.getByTestId('inbox-address').textContent()).toBe(address);
		expect(await page.getByText('has no inbox address').count()).toBe(0);

		// mail to the new address arrives in the inbox, live
		await page.getByRole('link', { name: 'Inbox' }).first().click();
		await sendTo(address, 'First customer question');
		await expect.poll(() => page.getByTestId('conversation-row').filter({ hasText: 'First customer question' }).count(), { timeout: 15_000 }).toBe(1);

		// bad addresses are refused with a reason, and nothing changes
		await openEmailIn(page);
		const field = page.getByLabel('Address', { exact: true });
		for (const [typed, reason] of [
			['not an address!', 'Use letters, digits'],
			['help@example.com', 'must end in @parley.localhost'],
			[DemoOrgs.acme.inboxAddress, 'already the address of another organization'],
			['', 'Enter an inbox address']
		] as const) {
			await field.evaluate((el) => el.removeAttribute('required'));
			await field.fill(typed);
			await page.getByRole('button', { name: 'Save address' }).click();
			await expect.poll(() => page.getByRole('alert').textContent()).toContain(reason);
			expect(await page.getByTestId('inbox-address').textContent()).toBe(address);
		}
		await page.reload();
		expect(await page.getByTestId('inbox-address').textContent()).toBe(address);

		// a bare name gets the domain; the new address receives mail, the old one is refused
		await page.getByLabel('Address', { exact: true }).fill('Hello.Erin');
		await page.getByRole('button', { name: 'Save address' }).click();
		await expect.poll(() => page.getByRole('status').filter({ hasText: 'inbox address is now' }).textContent()).toContain('hello.erin@parley.localhost');
		expect(await page.getByTestId('inbox-address').textContent()).toBe('hello.erin@parley.localhost');
		await page.getByRole('link', { name: 'Inbox' }).first().click();
		await sendTo('hello.erin@parley.localhost', 'Second customer question');
		await expect.poll(() => page.getByTestId('conversation-row').filter({ hasText: 'Second customer question' }).count(), { timeout: 15_000 }).toBe(1);
		await expect(sendTo(address, 'To the old address')).rejects.toThrow();

		// a second organization of the same name gets its own address
		await createOrg(page, 'Érin Design & Co');
		await openEmailIn(page);
		expect(await page.getByTestId('inbox-address').textContent()).toBe(address); // free again since the rename
		await createOrg(page, 'Erin Design Co');
		await openEmailIn(page);
		expect(await page.getByTestId('inbox-address').textContent()).toBe('erin-design-co-2@parley.localhost');
		await context.close();
	});

	it('a member sees the address but cannot change it, even by posting the form', async () => {
		const context = await browser.newContext();
		const page = await context.newPage();
		await signInWithPassword(page, app, DemoUsers.bob.email, DEMO_PASSWORD);
		await openEmailIn(page);
		expect(await page.getByTestId('inbox-address').textContent()).toBe(DemoOrgs.acme.inboxAddress);
		expect(await page.getByRole('button', { name: 'Save address' }).count()).toBe(0);

		const status = await page.evaluate(async () => {
			const body = new FormData();
			body.set('address', 'taken-over@parley.localhost');
			const res = await fetch(`${location.pathname}?/address`, { method: 'POST', body, headers: { 'x-sveltekit-action': 'true', accept: 'application/json' } });
			return (await res.json()).status as number;
		});
		expect(status).toBe(403);
		await page.reload();
		expect(await page.getByTestId('inbox-address').textContent()).toBe(DemoOrgs.acme.inboxAddress);
		await context.close();
	});
});
