// A warm conversation opens offline as a full page (a reload, a link, a typed address), even if it was
// never opened as a full page: the inbox fetches its page ahead and the service worker keeps it. Real
// Chromium against the built app. A guest's kept pages are her own: nothing internal in them. Signing
// out deletes them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client } from '@libsql/client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, postForm, sessionCookie, signInWithPassword, startApp, type RunningApp } from './harness.ts';
import { DEMO_PASSWORD, DemoConversations, DemoUsers } from '../../src/lib/server/seed.ts';

let app: RunningApp;
let browser: Browser;
let db: Client;
const ids: Record<keyof typeof DemoConversations, string> = { order: '', redesign: '' };
let noraId: string;

beforeAll(async () => {
	[app, browser] = await Promise.all([startApp(), launchChromium()]);
	db = createClient({ url: app.databaseUrl });
	for (const key of Object.keys(ids) as (keyof typeof ids)[]) {
		const row = await db.execute({ sql: 'SELECT id FROM conversations WHERE subject = ?', args: [DemoConversations[key].subject] });
		ids[key] = String(row.rows[0].id);
	}
	// Nora is a guest of the email conversation (the invitation flow is tested elsewhere)
	const nora = await db.execute({ sql: 'SELECT id FROM users WHERE email = ?', args: [DemoUsers.nora.email] });
	noraId = String(nora.rows[0].id);
	await db.execute({
		sql: `INSERT INTO conversation_participants (conversation_id, user_id, role, invited_by, added_at) VALUES (?, ?, 'guest', NULL, ?)`,
		args: [ids.order, noraId, Date.now()]
	});
});

afterAll(async () => {
	db?.close();
	await browser?.close();
	await app?.stop();
});

async function signIn(name: 'alice' | 'nora'): Promise<{ context: BrowserContext; page: Page }> {
	const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
	const page = await context.newPage();
	page.on('pageerror', (e) => console.error(`[${name}] pageerror`, e.message));
	await signInWithPassword(page, app, DemoUsers[name].email, DEMO_PASSWORD);
	return { context, page };
}

/** The addresses the service worker keeps pages and page data under. */
function keptPaths(page: Page): Promise<string[]> {
	return page.evaluate(async () => ((await caches.has('parley-pages')) ? (await (await caches.open('parley-pages')).keys()).map((r) => new URL(r.url).pathname) : []));
}

/** The bodies of everything the service worker keeps for this browser. */
function keptBodies(page: Page): Promise<{ path: string; body: string }[]> {
	return page.evaluate(async () => {
		const cache = await caches.open('parley-pages');
		const out: { path: string; body: string }[] = [];
		for (const request of await cache.keys()) out.push({ path: new URL(request.url).pathname, body: (await (await cache.match(request))!.text()) });
		return out;
	});
}

/** Document names in the page's IndexedDB replica. */
function replicaDocs(page: Page): Promise<string[]> {
	return page.evaluate(async () => {
		const names = new Set<string>();
		for (const info of await indexedDB.databases()) {
			const db = await new Promise<IDBDatabase>((resolve, reject) => {
				const req = indexedDB.open(info.name!);
				req.onsuccess = () => resolve(req.result);
				req.onerror = () => reject(req.error);
			});
			for (const store of [...db.objectStoreNames]) {
				const keys = await new Promise<IDBValidKey[]>((resolve) => {
					const req = db.transaction(store, 'readonly').objectStore(store).getAllKeys();
					req.onsuccess = () => resolve(req.result);
				});
				for (const k of keys) names.add(Array.isArray(k) ? String(k[0]) : String(k));
			}
			db.close();
		}
		return [...names];
	});
}

/**
 * Waits until the inbox has made conversation `id` ready offline: its documents in the replica, its
 * page data kept, and (a bounded wait, not an assertion: the offline navigation is what must work,
 * and it says what was kept when it does not) its page.
 */
async function waitUntilWarm(page: Page, id: string) {
	await expect.poll(() => replicaDocs(page), { timeout: 30_000, message: `the replica never held conversation ${id}` }).toEqual(expect.arrayContaining([`c/${id}/thread`, `c/${id}/chat`, `c/${id}/tasks`]));
	await expect.poll(() => keptPaths(page), { timeout: 30_000, message: `the page data of /c/${id} was never fetched ahead` }).toContain(`/c/${id}/__data.json`);
	await expect
		.poll(() => keptPaths(page), { timeout: 15_000 })
		.toContain(`/c/${id}`)
		.catch(() => {});
}

/** Navigates with no network; a failure says what the browser showed instead of the page. */
async function gotoOffline(page: Page, path: string) {
	const kept = await keptPaths(page); // read before: an error page cannot see the cache
	try {
		await page.goto(`${app.url}${path}`);
	} catch (error) {
		throw new Error(`${path} did not open offline (kept: ${kept.join(', ')}): ${(error as Error).message}`, { cause: error });
	}
}

async function expectConversation(page: Page, subject: string, chat: string, task: string) {
	await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), { timeout: 15_000 }).toBe(subject);
	await expect.poll(() => page.getByTestId('chat-message').allTextContents(), { timeout: 15_000 }).toContainEqual(expect.stringContaining(chat));
	await expect.poll(() => page.getByTestId('task-title').allTextContents(), { timeout: 15_000 }).toContain(task);
	// and the chat works: a message written offline waits to be sent
	await page.getByLabel('Message').fill('Written offline, after a reload');
	await page.getByLabel('Message').press('Enter');
	await expect.poll(() => page.getByTestId('chat-message').allTextContents()).toContainEqual(expect.stringContaining('Written offline, after a reload'));
}

describe('offline, a warm conversation opens as a full page', () => {
	it('a member who only saw the inbox opens a conversation by its address and reloads it with no network', async () => {
		const { context, page } = await signIn('alice');
		// the inbox only: neither conversation is opened
		await expect.poll(() => page.getByTestId('conversation-row').count(), { timeout: 15_000 }).toBe(2);
		await waitUntilWarm(page, ids.redesign);
		await waitUntilWarm(page, ids.order);

		await context.setOffline(true);
		await gotoOffline(page, `/c/${ids.redesign}`);
		await expectConversation(page, DemoConversations.redesign.subject, 'This channel is for the redesign', 'Homepage wireframes');
		await page.reload();
		await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), { timeout: 15_000 }).toBe(DemoConversations.redesign.subject);
		await expect.poll(() => page.getByTestId('sync-status').getAttribute('data-online')).toBe('false');
		// a link with a folder (as the list writes them) opens the same kept page
		await gotoOffline(page, `/c/${ids.order}?folder=inbox`);
		await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), { timeout: 15_000 }).toBe(DemoConversations.order.subject);
		await expect.poll(() => page.getByTestId('chat-message').allTextContents(), { timeout: 15_000 }).toContainEqual(expect.stringContaining('Warehouse says'));

		// signing out deletes the kept pages
		await context.setOffline(false);
		await expect.poll(() => page.getByTestId('sync-pending').textContent(), { timeout: 30_000 }).toContain('All changes saved');
		await page.getByRole('button', { name: 'Sign out', exact: true }).click();
		await page.waitForURL((url) => url.pathname === '/signin');
		await expect.poll(() => keptPaths(page).then((paths) => paths.filter((p) => p.startsWith('/c/'))), { timeout: 10_000 }).toEqual([]);
		await context.close();
	});

	let guest: { context: BrowserContext; page: Page };
	it("a guest's kept page is her own: it opens offline and holds no label or assignee", async () => {
		guest = await signIn('nora');
		const { context, page } = guest;
		await waitUntilWarm(page, ids.order);
		for (const { path, body } of await keptBodies(page)) {
			for (const needle of ['Urgent', 'Shipping', 'taskAssignees', 'assignees', 'Assign conversation', '@acme.test']) expect(body, `${path} holds ${needle}`).not.toContain(needle);
		}
		// nothing of the channel she is not in
		expect(await keptPaths(page)).not.toContain(`/c/${ids.redesign}`);

		await context.setOffline(true);
		await gotoOffline(page, `/c/${ids.order}`);
		await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), { timeout: 15_000 }).toBe(DemoConversations.order.subject);
		await expect.poll(() => page.getByTestId('chat-message').allTextContents(), { timeout: 15_000 }).toContainEqual(expect.stringContaining('Warehouse says'));
		expect(await page.getByTestId('member-tools').count()).toBe(0);
		const html = await page.content();
		for (const needle of ['Urgent', 'Shipping', 'Assign conversation']) expect(html).not.toContain(needle);
	});

	it("a removed guest's kept pages of that conversation are deleted: it no longer opens offline", async () => {
		const { context, page } = guest;
		await context.setOffline(false);
		await expect.poll(() => page.getByTestId('sync-status').getAttribute('data-online'), { timeout: 30_000 }).toBe('true');
		// Alice removes her (through the guests page's form action)
		const signedIn = await postForm(app, '/signin?/password', { email: DemoUsers.alice.email, password: DEMO_PASSWORD, redirectTo: '/' });
		const removed = await postForm(app, `/c/${ids.order}/guests?/remove`, { guestId: noraId }, { cookie: sessionCookie(signedIn)! });
		expect(removed.status, removed.body.slice(0, 300)).toBeLessThan(400);
		await expect.poll(() => page.getByTestId('access-ended').count(), { timeout: 15_000 }).toBe(1);
		await expect.poll(() => keptPaths(page).then((paths) => paths.filter((p) => p.startsWith(`/c/${ids.order}`))), { timeout: 15_000 }).toEqual([]);

		await context.setOffline(true);
		const opened = await page.goto(`${app.url}/c/${ids.order}`).then(
			() => true,
			() => false
		);
		if (opened) expect(await page.getByRole('heading', { name: DemoConversations.order.subject }).count()).toBe(0);
		await context.close();
	});
});
