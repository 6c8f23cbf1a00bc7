// Guest access in real Chromium, with mail delivered to a real SMTP server started here: a member
// invites, the mail arrives, the link is opened in a second browser context, and the guest signs up,
// signs in, or is Nora from Northwind; each lands in the conversation under "Shared with you".
// Removing a guest while their page is open deletes the IndexedDB copy. Token guessing is limited.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { createClient, type Client } from '@libsql/client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, postForm, startApp, type RunningApp } from './harness.ts';
import { DEMO_PASSWORD, DemoConversations, DemoOrgs, DemoUsers } from '../../src/lib/server/seed.ts';

interface ReceivedMail {
	to: string[];
	raw: string;
}

/** A real SMTP server on port 0 that keeps what it receives. */
async function startSmtpSink() {
	const received: ReceivedMail[] = [];
	const server = new SMTPServer({
		authOptional: true,
		disabledCommands: ['STARTTLS'],
		onData(stream, session, callback) {
			let raw = '';
			stream.on('data', (chunk: Buffer) => (raw += chunk.toString()));
			stream.on('end', () => {
				received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw });
				callback();
			});
		}
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const port = (server.server.address() as AddressInfo).port;
	return { url: `smtp://127.0.0.1:${port}`, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** The body of a raw message with quoted-printable soft breaks and escapes undone. */
function decodeBody(raw: string): string {
	return raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

let app: RunningApp;
let browser: Browser;
let sink: Awaited<ReturnType<typeof startSmtpSink>>;
let db: Client;
let acmeId: string;
let redesignId: string;
let orderId: string;

beforeAll(async () => {
	sink = await startSmtpSink();
	[app, browser] = await Promise.all([startApp({ env: { SMTP_URL: sink.url, SMTP_LISTEN_PORT: 'off' } }), launchChromium()]);
	db = createClient({ url: app.databaseUrl });
	const ids = async (sql: string) => String((await db.execute(sql)).rows[0].id);
	acmeId = await ids(`SELECT id FROM organizations WHERE name = '${DemoOrgs.acme.name}'`);
	redesignId = await ids(`SELECT id FROM conversations WHERE subject = '${DemoConversations.redesign.subject}'`);
	orderId = await ids(`SELECT id FROM conversations WHERE subject = '${DemoConversations.order.subject}'`);
});
afterAll(async () => {
	db?.close();
	await browser?.close();
	await app?.stop();
	await sink?.close();
});

async function signIn(page: Page, email: string, password: string) {
	await page.getByLabel('Email').fill(email);
	await page.getByLabel('Password').fill(password);
	await page.getByRole('button', { name: 'Sign in', exact: true }).click();
	await page.waitForURL((url) => !url.pathname.startsWith('/signin'), { timeout: 10_000 }).catch(async (err) => {
		throw new Error(`sign-in as ${email} did not leave /signin: ${await page.locator('main, body').first().innerText()}`, { cause: err });
	});
}

let aliceContext: BrowserContext;
let alice: Page;
async function aliceSignedIn(): Promise<Page> {
	if (alice) return alice;
	aliceContext = await browser.newContext();
	alice = await aliceContext.newPage();
	await alice.goto(`${app.url}/signin`);
	await signIn(alice, DemoUsers.alice.email, DEMO_PASSWORD);
	return alice;
}

/**
 * Alice invites `email` from the conversation page (or its guests page); resolves with the link
 * from the mail the sink received.
 */
async function inviteByMail(conversationId: string, email: string, from: 'conversation' | 'guests page' = 'guests page'): Promise<string> {
	const page = await aliceSignedIn();
	const before = sink.received.length;
	await page.goto(from === 'conversation' ? `${app.url}/c/${conversationId}` : `${app.url}/c/${conversationId}/guests`);
	const form = page.getByTestId('guest-invite');
	await form.getByLabel('Email address').fill(email);
	await form.getByRole('button', { name: 'Send invitation' }).click();
	await expect.poll(() => form.getByTestId('guest-invite-message').textContent()).toBe(`Invitation sent to ${email}.`);
	await expect.poll(() => sink.received.slice(before).filter((m) => m.to.includes(email)).length, { timeout: 10_000 }).toBe(1);
	const mail = sink.received.slice(before).find((m) => m.to.includes(email))!;
	const body = decodeBody(mail.raw);
	expect(body).toContain('Alice Archer');
	expect(body).toContain(DemoOrgs.acme.name);
	// never another participant's address
	expect(body).not.toContain(DemoUsers.bob.email);
	const link = body.match(/https?:\/\/\S+\/invite\/guest\/[a-z2-7]+/)?.[0];
	expect(link, body).toBeTruthy();
	return link!;
}

/** The guest is on the conversation, and it is listed under "Shared with you". */
async function expectLandedAsGuest(page: Page, conversationId: string, subject: string) {
	// signing up hashes a password and loads the conversation: on a loaded machine that is slow, not stuck
	await page.waitForURL((url) => url.pathname === `/c/${conversationId}`, { waitUntil: 'commit', timeout: 60_000 });
	await expect.poll(() => page.getByRole('heading', { name: subject }).count()).toBeGreaterThan(0);
	await page.goto(`${app.url}/?folder=shared`);
	await expect.poll(() => page.getByText(subject).count(), { timeout: 10_000 }).toBeGreaterThan(0);
}

async function userId(email: string): Promise<string> {
	return String((await db.execute({ sql: 'SELECT id FROM users WHERE email = ?', args: [email] })).rows[0].id);
}

/** Document names in the page's IndexedDB replica. */
function localDocs(page: Page, uid: string): Promise<string[]> {
	return page.evaluate(
		(name) =>
			new Promise<string[]>((resolve, reject) => {
				const req = indexedDB.open(name);
				req.onerror = () => reject(req.error);
				req.onsuccess = () => {
					const idb = req.result;
					// a document is stored as a snapshot (docs), log rows and pending writes ([doc, n] keys)
					const stores = ['docs', 'log', 'pending'].filter((s) => idb.objectStoreNames.contains(s));
					if (stores.length === 0) return resolve([]);
					const t = idb.transaction(stores);
					const names = new Set<string>();
					for (const s of stores) {
						const keys = t.objectStore(s).getAllKeys();
						keys.onsuccess = () => keys.result.forEach((k) => names.add(String(Array.isArray(k) ? k[0] : k)));
					}
					t.oncomplete = () => {
						resolve([...names]);
						idb.close();
					};
				};
			}),
		`parley-${uid}`
	);
}

describe('guest invitations in Chromium through a real SMTP server', () => {
	it('a new person signs up from the link and lands in the conversation; removing them while the page is open deletes the local copy', async () => {
		const email = `gus-${Date.now()}@example.com`;
		const link = await inviteByMail(redesignId, email, 'conversation');

		const context = await browser.newContext();
		const page = await context.newPage();
		await page.goto(link);
		await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe(`“${DemoConversations.redesign.subject}”`);
		const card = page.getByTestId('guest-invitation');
		expect(await card.textContent()).toContain(DemoOrgs.acme.name);
		// the confirm page shows no one else's address
		expect(await card.textContent()).not.toContain(DemoUsers.bob.email);
		await page.getByLabel('Your name').fill('Gus Guest');
		await page.getByLabel('Password').fill('correct horse battery');
		await page.getByRole('button', { name: 'Create account and join' }).click();
		await expectLandedAsGuest(page, redesignId, DemoConversations.redesign.subject);

		// back on the conversation, with its documents in the IndexedDB replica
		const gusId = await userId(email);
		await page.goto(`${app.url}/c/${redesignId}?folder=shared`);
		await expect.poll(() => localDocs(page, gusId), { timeout: 10_000 }).toContain(`c/${redesignId}/chat`);
		const row = () => page.getByTestId('conversation-row').filter({ hasText: DemoConversations.redesign.subject });
		await expect.poll(() => row().count(), { timeout: 10_000 }).toBe(1);

		// Alice removes Gus everywhere from the organization's guest settings
		await alice.goto(`${app.url}/orgs/${acmeId}/guests`);
		const guestRow = alice.getByTestId('guest-row').filter({ hasText: email });
		await guestRow.getByRole('button', { name: 'Remove everywhere' }).click();
		await guestRow.getByRole('button', { name: 'Yes, remove everywhere' }).click();
		await expect.poll(() => alice.getByTestId('guests-message').textContent()).toBe('Guest removed from every conversation.');

		await expect
			.poll(async () => (await localDocs(page, gusId)).filter((d) => d.startsWith(`c/${redesignId}/`)), { timeout: 10_000 })
			.toEqual([]);
		// the open page drops the conversation from its list without a reload
		await expect.poll(() => row().count(), { timeout: 10_000 }).toBe(0);
		await page.goto(`${app.url}/?folder=shared`);
		await expect.poll(() => page.getByText('Nothing shared with you').count(), { timeout: 10_000 }).toBeGreaterThan(0);
		expect(await page.getByText(DemoConversations.redesign.subject).count()).toBe(0);
		await context.close();
	});

	it('a person with an account signs in from the link and joins', async () => {
		const email = `sam-${Date.now()}@example.com`;
		const signup = await postForm(app, '/signup', { name: 'Sam Existing', email, password: 'sam password 1' });
		expect(signup.status).toBe(303);
		const link = await inviteByMail(orderId, email);

		const context = await browser.newContext();
		const page = await context.newPage();
		await page.goto(link);
		await page.getByRole('link', { name: 'I already have an account: sign in' }).click();
		await page.waitForURL('**/signin?**');
		await signIn(page, email, 'sam password 1');
		expect(new URL(page.url()).pathname).toMatch(/^\/invite\/guest\//);
		await page.getByRole('button', { name: 'Join the conversation' }).click();
		await expectLandedAsGuest(page, orderId, DemoConversations.order.subject);
		await context.close();
	});

	it('Nora, a member of Northwind, joins as a guest and keeps Northwind', async () => {
		const link = await inviteByMail(orderId, DemoUsers.nora.email);
		const context = await browser.newContext();
		const page = await context.newPage();
		await page.goto(`${app.url}/signin`);
		await signIn(page, DemoUsers.nora.email, DEMO_PASSWORD);
		await page.goto(link);
		await page.getByRole('button', { name: 'Join the conversation' }).click();
		await expectLandedAsGuest(page, orderId, DemoConversations.order.subject);
		await expect.poll(() => page.getByTestId('current-org').textContent()).toContain(DemoOrgs.northwind.name);
		await context.close();
	});

	it('a forwarded link opened by another account needs the explicit confirmation showing both addresses', async () => {
		const link = await inviteByMail(redesignId, `forwarded-${Date.now()}@example.com`);
		const context = await browser.newContext();
		const page = await context.newPage();
		await page.goto(`${app.url}/signin`);
		await signIn(page, DemoUsers.nora.email, DEMO_PASSWORD);
		await page.goto(link);
		const notice = await page.getByTestId('guest-invitation').textContent();
		expect(notice).toContain('forwarded-');
		expect(notice).toContain(DemoUsers.nora.email);
		await page.getByRole('checkbox').check();
		await page.getByRole('button', { name: 'Join the conversation' }).click();
		await expectLandedAsGuest(page, redesignId, DemoConversations.redesign.subject);
		await context.close();
	});

	it('GET of the link consumes nothing; POST does, once', async () => {
		const email = `once-${Date.now()}@example.com`;
		const link = await inviteByMail(orderId, email);
		const path = new URL(link).pathname;
		for (let i = 0; i < 2; i++) expect(await (await fetch(app.url + path)).text()).toContain('Create account and join');
		const first = await postForm(app, `${path}?/signup`, { name: 'Once', password: 'once password' });
		expect(first.status).toBe(303);
		const second = await postForm(app, `${path}?/signup`, { name: 'Twice', password: 'twice password' });
		expect(second.body).toContain('already been used');
	});
});

describe('guessing invitation tokens', () => {
	let fresh: RunningApp;
	beforeAll(async () => {
		fresh = await startApp({ env: { SMTP_LISTEN_PORT: 'off' } });
	});
	afterAll(async () => fresh?.stop());

	it('is rate limited per IP on the link page and its POST', async () => {
		const guess = () => Array.from({ length: 32 }, () => 'abcdefghijklmnopqrstuvwxyz234567'[Math.floor(Math.random() * 32)]).join('');
		const statuses: number[] = [];
		for (let i = 0; i < 30; i++) statuses.push((await fetch(`${fresh.url}/invite/guest/${guess()}`)).status);
		expect(statuses.every((s) => s === 200)).toBe(true);
		expect((await fetch(`${fresh.url}/invite/guest/${guess()}`)).status).toBe(429);
		const post = await postForm(fresh, `/invite/guest/${guess()}?/signup`, { name: 'X', password: 'xxxxxxxxxx' });
		expect(post.status).toBe(429);
	});
});
