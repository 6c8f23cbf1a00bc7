// Hostile inputs against the running server, over plain HTTP (what a script or another site can send).
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { postForm, readOutboxLinks, sessionCookie, startApp, type RunningApp } from './harness.ts';
import { DEMO_PASSWORD, DemoUsers } from '../../src/lib/server/seed.ts';
import { openDatabase, type Database } from '../../src/lib/server/db/index.ts';
import { users } from '../../src/lib/server/db/schema.ts';
import { createSignInToken, SIGN_IN_LINK_LIFETIME, AccountMessages } from '../../src/lib/server/auth/accounts.ts';

let app: RunningApp;
/** The app's database file, opened once by this test (alongside the server's own client). */
let database: Promise<Database> | null = null;
const openAppDatabase = () => (database ??= openDatabase(app.databaseUrl));
beforeAll(async () => {
	app = await startApp();
});
afterAll(async () => {
	if (app) {
		if (database) (await database).client.close();
		await app.stop();
	}
});

const WRONG = 'That email and password do not match an account.';
const escaped = (s: string) => s.replaceAll("'", '&#39;');
/** A page with the per-request CSP nonce and one echoed address masked, to compare two answers. */
const mask = (html: string, email: string) => html.replace(/nonce-[^']+'|nonce="[^"]+"/g, 'NONCE').replaceAll(email, 'X');

async function userCount(email: string) {
	const { db } = await openAppDatabase();
	return (await db.select().from(users).where(eq(users.email, email))).length;
}

describe('hostile HTTP inputs', () => {
	it('refuses a cross-site form post with 403 and changes nothing', async () => {
		const fields = { name: 'Mallory', email: 'mallory@example.com', password: 'long-enough-1' };
		const evil = await postForm(app, '/signup', fields, { origin: 'https://evil.example' });
		expect(evil.status).toBe(403);
		expect(sessionCookie(evil)).toBeNull();
		const missing = await postForm(app, '/signup', fields, { origin: null });
		expect(missing.status).toBe(403);
		expect(await userCount('mallory@example.com')).toBe(0);

		// the same post from the app's own origin works, so the refusal was about the origin
		const own = await postForm(app, '/signup', fields);
		expect(own.status).toBe(303);
		expect(await userCount('mallory@example.com')).toBe(1);
	});

	it('answers a wrong password and an unknown address identically', async () => {
		const wrong = await postForm(app, '/signin?/password', { email: DemoUsers.bob.email, password: 'not-the-password' });
		const unknown = await postForm(app, '/signin?/password', { email: 'nobody@acme.test', password: 'not-the-password' });
		expect(wrong.status).toBe(400);
		expect(unknown.status).toBe(400);
		expect(wrong.body).toContain(WRONG);
		expect(unknown.body).toContain(WRONG);
		expect(sessionCookie(wrong)).toBeNull();
		// same page apart from the echoed address
		expect(mask(wrong.body, DemoUsers.bob.email)).toBe(mask(unknown.body, 'nobody@acme.test'));
	});

	it('answers "email me a link" the same whether or not the account exists', async () => {
		const known = await postForm(app, '/signin?/link', { email: DemoUsers.bob.email });
		const unknown = await postForm(app, '/signin?/link', { email: 'nobody@acme.test' });
		expect(known.status).toBe(200);
		expect(unknown.status).toBe(200);
		expect(known.body).toContain(escaped(AccountMessages.linkSent));
		expect(mask(known.body, DemoUsers.bob.email)).toBe(mask(unknown.body, 'nobody@acme.test'));
		expect(await readOutboxLinks(app, 'nobody@acme.test')).toEqual([]);
		expect((await readOutboxLinks(app, DemoUsers.bob.email)).length).toBe(1);
	});

	it('refuses oversized fields with 400 and creates nothing', async () => {
		const cases: [string, Record<string, string>, RegExp][] = [
			['name', { name: 'n'.repeat(10_000), email: 'big1@example.com', password: 'long-enough-1' }, /at most 100/],
			['email', { name: 'Big', email: 'b'.repeat(1000) + '@example.com', password: 'long-enough-1' }, /at most 254/],
			['password', { name: 'Big', email: 'big3@example.com', password: 'p'.repeat(100_000) }, /at most 256/],
			['short password', { name: 'Big', email: 'big4@example.com', password: 'short' }, /at least 8/]
		];
		for (const [label, fields, message] of cases) {
			const res = await postForm(app, '/signup', fields);
			expect([label, res.status]).toEqual([label, 400]);
			expect(res.body).toMatch(message);
			expect(sessionCookie(res)).toBeNull();
		}
		for (const email of ['big1@example.com', 'big3@example.com', 'big4@example.com']) expect(await userCount(email)).toBe(0);
		const oversizedSignIn = await postForm(app, '/signin?/password', { email: DemoUsers.alice.email, password: 'p'.repeat(100_000) });
		expect(oversizedSignIn.status).toBe(400);
	});

	it('refuses a duplicate sign-up with a clear message and leaves the account alone', async () => {
		const res = await postForm(app, '/signup', { name: 'Not Alice', email: DemoUsers.alice.email, password: 'takeover-attempt' });
		expect(res.status).toBe(400);
		expect(res.body).toContain('already exists');
		const ok = await postForm(app, '/signin?/password', { email: DemoUsers.alice.email, password: DEMO_PASSWORD });
		expect(ok.status).toBe(303);
	});

	it('sets the session cookie HttpOnly, SameSite=Lax, not Secure over plain http, and sends protective headers', async () => {
		const res = await postForm(app, '/signin?/password', { email: DemoUsers.bob.email, password: DEMO_PASSWORD });
		expect(res.status).toBe(303);
		const set = res.cookies.find((c) => c.startsWith('parley_session='))!;
		expect(set).toMatch(/HttpOnly/i);
		expect(set).toMatch(/SameSite=Lax/i);
		expect(set).toMatch(/Path=\//);
		expect(set).not.toMatch(/Secure/i);

		const page = await fetch(`${app.url}/signin`);
		expect(page.headers.get('x-frame-options')).toBe('DENY');
		expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
		const link = await fetch(`${app.url}/signin/link?token=abc`);
		expect(link.headers.get('referrer-policy')).toBe('no-referrer');
	});

	it('sign-in link: GET consumes nothing, the POST signs in once, a reused link is refused', async () => {
		const email = DemoUsers.nora.email;
		await postForm(app, '/signin?/link', { email });
		const [link] = await readOutboxLinks(app, email);
		expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/signin\/link\?token=[a-z2-7]{32}$/);
		const token = new URL(link).searchParams.get('token')!;

		// a mail scanner opening the link twice
		for (let i = 0; i < 2; i++) {
			const get = await fetch(link, { redirect: 'manual' });
			expect(get.status).toBe(200);
			const html = await get.text();
			expect(html).toContain('Continue and sign in');
			expect(html).toContain(email);
			expect(get.headers.getSetCookie().filter((c) => c.startsWith('parley_session=') && !c.startsWith('parley_session=;'))).toEqual([]);
		}

		const first = await postForm(app, '/signin/link', { token });
		expect(first.status).toBe(303);
		const cookie = sessionCookie(first)!;
		expect(cookie).toBeTruthy();
		const home = await fetch(`${app.url}/`, { headers: { cookie }, redirect: 'manual' });
		expect(home.status).toBe(200);
		expect(await home.text()).toContain('Northwind Studio');

		const again = await postForm(app, '/signin/link', { token });
		expect(again.status).toBe(400);
		expect(again.body).toContain('already been used');
		expect(sessionCookie(again)).toBeNull();
		expect(await (await fetch(link)).text()).toContain('already been used');
	});

	it('refuses an expired sign-in link and changes nothing', async () => {
		const { db } = await openAppDatabase();
		const token = (await createSignInToken(db, DemoUsers.bob.email, Date.now() - SIGN_IN_LINK_LIFETIME - 1000))!;
		expect(await (await fetch(`${app.url}/signin/link?token=${token}`)).text()).toContain('expired');
		const res = await postForm(app, '/signin/link', { token });
		expect(res.status).toBe(400);
		expect(res.body).toContain('expired');
		expect(sessionCookie(res)).toBeNull();
	});

	it('sign out everywhere ends every session of the user', async () => {
		const a = sessionCookie(await postForm(app, '/signin?/password', { email: DemoUsers.bob.email, password: DEMO_PASSWORD }))!;
		const b = sessionCookie(await postForm(app, '/signin?/password', { email: DemoUsers.bob.email, password: DEMO_PASSWORD }))!;
		expect((await fetch(`${app.url}/`, { headers: { cookie: b }, redirect: 'manual' })).status).toBe(200);
		const out = await postForm(app, '/signout?/everywhere', {}, { cookie: a });
		expect(out.status).toBe(303);
		expect((await fetch(`${app.url}/`, { headers: { cookie: b }, redirect: 'manual' })).status).toBe(303);
	});

	it('switching to an organization the user is not in is refused', async () => {
		const cookie = sessionCookie(await postForm(app, '/signin?/password', { email: DemoUsers.bob.email, password: DEMO_PASSWORD }))!;
		const res = await postForm(app, '/orgs/switch', { orgId: 'not-my-org' }, { cookie });
		expect(res.status).toBe(400);
		expect(res.body).toContain('not a member');
	});

	it('rate-limits repeated sign-in attempts with 429', async () => {
		const email = 'target@acme.test';
		const statuses: number[] = [];
		for (let i = 0; i < 7; i++) statuses.push((await postForm(app, '/signin?/password', { email, password: `guess-${i}` })).status);
		expect(statuses.slice(0, 5)).toEqual([400, 400, 400, 400, 400]);
		expect(statuses.slice(5)).toEqual([429, 429]);
		const limited = await postForm(app, '/signin?/password', { email, password: 'guess' });
		expect(limited.body).toContain('Too many attempts');
	});

	it('rate-limits mail to one recipient with 429', async () => {
		const email = 'flood@acme.test';
		const statuses: number[] = [];
		for (let i = 0; i < 4; i++) statuses.push((await postForm(app, '/signin?/link', { email })).status);
		expect(statuses).toEqual([200, 200, 200, 429]);
	});

	it('invitation: GET consumes nothing; another account must confirm; reuse is refused', async () => {
		const nora = sessionCookie(await postForm(app, '/signin?/password', { email: DemoUsers.nora.email, password: DEMO_PASSWORD }))!;
		const home = await (await fetch(`${app.url}/`, { headers: { cookie: nora } })).text();
		const orgId = home.match(/\/orgs\/([0-9a-f-]{36})\/members/)![1];
		const invited = await postForm(app, `/orgs/${orgId}/members?/invite`, { email: 'carol@example.com', role: 'member' }, { cookie: nora });
		expect(invited.status).toBe(200);
		const [link] = await readOutboxLinks(app, 'carol@example.com');
		const path = new URL(link).pathname;
		expect(path).toMatch(/^\/invite\/[a-z2-7]{32}$/);

		// a member (not owner/admin) cannot invite
		const bob = sessionCookie(await postForm(app, '/signin?/password', { email: DemoUsers.bob.email, password: DEMO_PASSWORD }))!;
		const bobHome = await (await fetch(`${app.url}/`, { headers: { cookie: bob } })).text();
		const acmeId = bobHome.match(/\/orgs\/([0-9a-f-]{36})\/members/)![1];
		expect((await postForm(app, `/orgs/${acmeId}/members?/invite`, { email: 'x@example.com' }, { cookie: bob })).status).toBe(403);
		// and an outsider gets the same 404 for an organization whether or not it exists
		expect((await fetch(`${app.url}/orgs/${orgId}/members`, { headers: { cookie: bob } })).status).toBe(404);
		expect((await fetch(`${app.url}/orgs/00000000-0000-0000-0000-000000000000/members`, { headers: { cookie: bob } })).status).toBe(404);

		for (let i = 0; i < 2; i++) expect(await (await fetch(link, { headers: { cookie: bob } })).text()).toContain('Join Northwind Studio');
		const unconfirmed = await postForm(app, `${path}?/accept`, {}, { cookie: bob });
		expect(unconfirmed.status).toBe(400);
		expect(unconfirmed.body).toContain('carol@example.com');
		expect(unconfirmed.body).toContain(DemoUsers.bob.email);
		expect((await fetch(`${app.url}/orgs/${orgId}/members`, { headers: { cookie: bob } })).status).toBe(404);

		const confirmed = await postForm(app, `${path}?/accept`, { confirmDifferentEmail: 'yes' }, { cookie: bob });
		expect(confirmed.status).toBe(303);
		expect((await fetch(`${app.url}/orgs/${orgId}/members`, { headers: { cookie: bob } })).status).toBe(200);

		const reused = await postForm(app, `${path}?/signup`, { name: 'Carol', password: 'long-enough-1' });
		expect(reused.status).toBe(400);
		expect(reused.body).toContain('already been used');
		expect(await userCount('carol@example.com')).toBe(0);
		expect(await (await fetch(link)).text()).toContain('already been used');
	});

	it('a visitor signs up from an invitation with the invited address, which counts as verified', async () => {
		const nora = sessionCookie(await postForm(app, '/signin?/password', { email: DemoUsers.nora.email, password: DEMO_PASSWORD }))!;
		const home = await (await fetch(`${app.url}/`, { headers: { cookie: nora } })).text();
		const orgId = home.match(/\/orgs\/([0-9a-f-]{36})\/members/)![1];
		await postForm(app, `/orgs/${orgId}/members?/invite`, { email: 'dora@example.com', role: 'admin' }, { cookie: nora });
		const [link] = await readOutboxLinks(app, 'dora@example.com');
		const res = await postForm(app, `${new URL(link).pathname}?/signup`, { name: 'Dora', password: 'long-enough-1', email: 'attacker@example.com' });
		expect(res.status).toBe(303);
		const { db } = await openAppDatabase();
		const [dora] = await db.select().from(users).where(eq(users.email, 'dora@example.com'));
		expect(dora.emailVerifiedAt).not.toBeNull();
		expect(await userCount('attacker@example.com')).toBe(0);
		const members = await (await fetch(`${app.url}/orgs/${orgId}/members`, { headers: { cookie: sessionCookie(res)! } })).text();
		expect(members).toContain('Dora');
	});

	it('serves /dev/mail only without SMTP and outside production', async () => {
		expect((await fetch(`${app.url}/dev/mail`)).status).toBe(200);
		// production requires ORIGIN (server/index.ts): give it the address it will listen on
		const port = await new Promise<number>((resolve) => {
			const probe = net.createServer().listen(0, '127.0.0.1', () => {
				const { port } = probe.address() as net.AddressInfo;
				probe.close(() => resolve(port));
			});
		});
		const [production, withSmtp] = await Promise.all([
			startApp({ env: { NODE_ENV: 'production', PORT: String(port), ORIGIN: `http://127.0.0.1:${port}` } }),
			startApp({ env: { SMTP_URL: 'smtp://127.0.0.1:1' } })
		]);
		try {
			expect((await fetch(`${production.url}/dev/mail`)).status).toBe(404);
			expect((await fetch(`${withSmtp.url}/dev/mail`)).status).toBe(404);
		} finally {
			await Promise.all([production.stop(), withSmtp.stop()]);
		}
	});
});
