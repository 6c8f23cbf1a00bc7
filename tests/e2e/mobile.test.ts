// Phones in real Chromium (390×844, touch): a top bar whose menu button opens the sidebar as a drawer,
// the list and a conversation as two screens, a conversation's messages first with the composer in
// view and its tasks behind a tab, nothing that scrolls sideways, and a guest who sees no more than
// on a desktop (no label, no assignee).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client } from '@libsql/client';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, signInWithPassword, startApp, type RunningApp } from './harness.ts';
import { DEMO_PASSWORD, DemoConversations, DemoOrgs, DemoUsers } from '../../src/lib/server/seed.ts';

const PHONE = { width: 390, height: 844 };
let app: RunningApp;
let browser: Browser;
let db: Client;
let conversationId: string;
let orgId: string;

async function phone(who: 'alice' | 'nora'): Promise<Page> {
	const context = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
	const page = await context.newPage();
	page.on('pageerror', (e) => console.error(`[${who}] pageerror`, e.message));
	await signInWithPassword(page, app, DemoUsers[who].email, DEMO_PASSWORD);
	return page;
}

/** What a thumb could drag sideways: the page itself, or any element that scrolls horizontally. */
async function sidewaysScrollers(page: Page): Promise<string[]> {
	return page.evaluate(() => {
		const found: string[] = [];
		const root = document.documentElement;
		if (root.scrollWidth > root.clientWidth) found.push(`the page is ${root.scrollWidth}px wide`);
		for (const el of document.body.querySelectorAll<HTMLElement>('*')) {
			if (el.matches('input, textarea, select')) continue; // a long value scrolls inside its field
			const { overflowX } = getComputedStyle(el);
			if ((overflowX === 'auto' || overflowX === 'scroll') && el.scrollWidth > el.clientWidth + 1) {
				found.push(`<${el.tagName.toLowerCase()} class="${el.className}"> scrolls ${el.scrollWidth - el.clientWidth}px sideways`);
			}
		}
		return found;
	});
}

/** Words of the first email's header values that are split over two lines (addresses may be). */
async function wordsSplitAcrossLines(page: Page): Promise<string[]> {
	return page
		.getByTestId('email-message')
		.first()
		.evaluate((article) => {
			const split: string[] = [];
			for (const dd of article.querySelectorAll('dd')) {
				const walker = document.createTreeWalker(dd, NodeFilter.SHOW_TEXT);
				for (let node = walker.nextNode(); node; node = walker.nextNode()) {
					for (const m of (node.textContent ?? '').matchAll(/\S+/g)) {
						if (m[0].includes('@')) continue;
						const range = document.createRange();
						range.setStart(node, m.index);
						range.setEnd(node, m.index + m[0].length);
						const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
						if (lines.size > 1) split.push(m[0]);
					}
				}
			}
			return split;
		});
}

/** Whether the element is drawn entirely inside the window, as it is after the page loads. */
async function inViewport(page: Page, selector: ReturnType<Page['locator']>): Promise<boolean> {
	const box = await selector.boundingBox();
	return box !== null && box.y >= 0 && box.x >= 0 && box.y + box.height <= PHONE.height && box.x + box.width <= PHONE.width;
}

async function openOrderConversation(page: Page, query = '') {
	await page.goto(`${app.url}/c/${conversationId}${query}`);
	await expect.poll(() => page.getByTestId('chat-message').count(), { timeout: 15_000 }).toBeGreaterThan(0);
}

beforeAll(async () => {
	[app, browser] = await Promise.all([startApp(), launchChromium()]);
	db = createClient({ url: app.databaseUrl });
	const conv = await db.execute({ sql: 'SELECT id FROM conversations WHERE subject = ?', args: [DemoConversations.order.subject] });
	conversationId = String(conv.rows[0].id);
	orgId = String((await db.execute({ sql: 'SELECT id FROM organizations WHERE name = ?', args: [DemoOrgs.acme.name] })).rows[0].id);
	const nora = await db.execute({ sql: 'SELECT id FROM users WHERE email = ?', args: [DemoUsers.nora.email] });
	// Nora is a guest of the email conversation (the invitation flow is tested elsewhere); guests hear all its activity
	await db.execute({
		sql: `INSERT INTO conversation_participants (conversation_id, user_id, role, invited_by, added_at) VALUES (?, ?, 'guest', NULL, ?)`,
		args: [conversationId, String(nora.rows[0].id), Date.now()]
	});
});

afterAll(async () => {
	db?.close();
	await browser?.close();
	await app?.stop();
});

describe('a phone 390 px wide', () => {
	it('the menu button opens the whole sidebar as a drawer; Escape, a tap beside it and following a link close it', async () => {
		const page = await phone('alice');
		await page.getByTestId('conversation-row').first().waitFor();
		const menu = page.getByRole('button', { name: 'Menu', exact: true });
		const drawer = page.getByRole('complementary', { name: 'Workspace', includeHidden: true });
		expect(await menu.getAttribute('aria-expanded')).toBe('false');
		expect(await drawer.isVisible()).toBe(false);
		// the list is the page: no sidebar stacked above it
		expect(await page.getByRole('link', { name: 'Members' }).count()).toBe(0);
		expect(await page.getByRole('button', { name: 'Sign out', exact: true }).count()).toBe(0);

		await menu.click();
		expect(await menu.getAttribute('aria-expanded')).toBe('true');
		await expect.poll(() => drawer.isVisible()).toBe(true);
		expect(await page.evaluate(() => document.activeElement?.closest('#app-sidebar') !== null)).toBe(true);
		const items = [
			page.getByRole('link', { name: 'Shared with you' }),
			page.getByRole('link', { name: 'Members' }),
			page.getByRole('link', { name: /^Notifications/ }),
			page.getByRole('button', { name: 'Switch organization' }).or(page.getByLabel('Switch organization'))
		];
		for (const item of items) await expect.poll(() => inViewport(page, item.first())).toBe(true);
		const signOut = page.getByRole('button', { name: 'Sign out', exact: true });
		await signOut.scrollIntoViewIfNeeded();
		expect(await signOut.isVisible()).toBe(true);
		expect(await page.getByRole('button', { name: 'Sign out everywhere' }).isVisible()).toBe(true);
		expect(await sidewaysScrollers(page)).toEqual([]);

		await page.keyboard.press('Escape');
		expect(await menu.getAttribute('aria-expanded')).toBe('false');
		await expect.poll(() => drawer.isVisible()).toBe(false);
		expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Menu');

		// a tap on the page beside the open drawer closes it
		await menu.click();
		await expect.poll(() => drawer.isVisible()).toBe(true);
		await page.touchscreen.tap(PHONE.width - 20, PHONE.height / 2);
		await expect.poll(() => drawer.isVisible()).toBe(false);
		expect(await menu.getAttribute('aria-expanded')).toBe('false');

		// a link in the drawer opens its page and closes the drawer
		await menu.click();
		await page.getByRole('link', { name: 'Members' }).click();
		await page.waitForURL(`**/orgs/${orgId}/members`);
		await expect.poll(() => drawer.isVisible()).toBe(false);
		expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Members');
		await page.context().close();
	});

	it('nothing scrolls sideways on the inbox, a conversation (both tabs), members and notifications', async () => {
		const page = await phone('alice');
		await page.getByTestId('conversation-row').first().waitFor();
		expect(await sidewaysScrollers(page), 'inbox').toEqual([]);

		await openOrderConversation(page);
		expect(await sidewaysScrollers(page), 'conversation').toEqual([]);
		await page.getByRole('tab', { name: /^Tasks/ }).click();
		await page.getByTestId('task').first().waitFor();
		expect(await sidewaysScrollers(page), 'conversation, Tasks tab').toEqual([]);

		await page.goto(`${app.url}/orgs/${orgId}/members`);
		await page.getByRole('list', { name: 'Members' }).waitFor();
		expect(await sidewaysScrollers(page), 'members').toEqual([]);

		await page.goto(`${app.url}/notifications`);
		await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toContain('Notifications');
		expect(await sidewaysScrollers(page), 'notifications').toEqual([]);
		await page.context().close();
	});

	it('a conversation is its own screen: messages first, the composer in view, tasks and the invite form behind a tab, Back to its folder', async () => {
		const page = await phone('alice');
		await page.getByTestId('conversation-row').filter({ hasText: DemoConversations.order.subject }).click();
		await page.waitForURL(`**/c/${conversationId}`);
		await expect.poll(() => page.getByTestId('chat-message').count(), { timeout: 15_000 }).toBeGreaterThan(0);
		// the list is gone, the messages show and the tasks do not
		expect(await page.getByRole('list', { name: 'Conversations' }).isVisible()).toBe(false);
		expect(await page.getByTestId('timeline').isVisible()).toBe(true);
		expect(await page.getByTestId('tasks-panel').isVisible()).toBe(false);
		expect(await page.getByTestId('guest-invite').isVisible()).toBe(false);
		const composer = page.getByLabel('Message');
		expect(await inViewport(page, composer)).toBe(true);
		// email headers wrap between words
		expect(await wordsSplitAcrossLines(page)).toEqual([]);

		// writing a message keeps the composer where it is
		await composer.fill('Checked with the courier, photos follow');
		await composer.press('Enter');
		await expect.poll(() => page.getByTestId('chat-message').filter({ hasText: 'Checked with the courier' }).count()).toBe(1);
		expect(await inViewport(page, composer)).toBe(true);

		const conversationTab = page.getByRole('tab', { name: 'Conversation' });
		const tasksTab = page.getByRole('tab', { name: /^Tasks \(1\)/ });
		expect(await conversationTab.getAttribute('aria-selected')).toBe('true');
		await tasksTab.click();
		expect(await tasksTab.getAttribute('aria-selected')).toBe('true');
		await expect.poll(() => page.getByTestId('tasks-panel').isVisible()).toBe(true);
		expect(await page.getByTestId('task').filter({ hasText: 'Ship a replacement lamp' }).isVisible()).toBe(true);
		expect(await page.getByTestId('guest-invite').isVisible()).toBe(true);
		expect(await page.getByTestId('member-tools').isVisible()).toBe(true); // a member's labels and assignees live here too
		expect(await page.getByTestId('timeline').isVisible()).toBe(false);
		await conversationTab.click();
		await expect.poll(() => page.getByTestId('timeline').isVisible()).toBe(true);

		const back = page.getByRole('link', { name: 'Back to Inbox' });
		await back.click();
		await page.waitForURL(`${app.url}/`);
		expect(await page.getByRole('list', { name: 'Conversations' }).isVisible()).toBe(true);
		await page.context().close();
	});

	it('a guest sees the menu with her notification count, and the conversation and its tasks with no label, no assignee and no task controls', async () => {
		// Alice writes in the conversation: Nora, its guest, hears of it
		const alice = await phone('alice');
		await openOrderConversation(alice);
		await alice.getByLabel('Message').fill('Nora, the courier comes at four');
		await alice.getByLabel('Message').press('Enter');
		await expect.poll(() => alice.getByTestId('chat-message').filter({ hasText: 'the courier comes at four' }).count()).toBe(1);

		const page = await phone('nora');
		await expect
			.poll(
				async () => {
					await page.reload();
					return page.getByTestId('notifications-count').count();
				},
				{ timeout: 20_000 }
			)
			.toBe(1);
		await page.getByRole('button', { name: 'Menu', exact: true }).click();
		await expect.poll(() => page.getByRole('link', { name: 'Shared with you' }).isVisible()).toBe(true);
		expect(await page.getByTestId('notifications-count').isVisible()).toBe(true);
		await page.keyboard.press('Escape');

		await openOrderConversation(page, '?folder=shared');
		expect(await inViewport(page, page.getByLabel('Message'))).toBe(true);
		expect(await page.getByRole('link', { name: 'Back to Shared with you' }).isVisible()).toBe(true);
		const tasksTab = page.getByRole('tab', { name: /^Tasks/ });
		expect(await tasksTab.textContent()).not.toContain('Label');
		await tasksTab.click();
		await page.getByTestId('task').first().waitFor();
		expect(await sidewaysScrollers(page)).toEqual([]);

		for (const testId of ['member-tools', 'label-chip', 'assignee-chip', 'task-assignee', 'guest-invite']) expect(await page.getByTestId(testId).count(), testId).toBe(0);
		expect(await page.getByLabel(/label/i).count()).toBe(0);
		expect(await page.getByLabel(/assign/i).count()).toBe(0);
		expect(await page.getByLabel('New task title').count()).toBe(0);
		// the page's text, shown or in the hidden tab (the menu's folder names are no assignees)
		const text = (await page.locator('main').textContent()) ?? '';
		for (const needle of ['Urgent', 'Assign', 'Label']) expect(text, needle).not.toContain(needle);
		await Promise.all([page.context().close(), alice.context().close()]);
	});
});
