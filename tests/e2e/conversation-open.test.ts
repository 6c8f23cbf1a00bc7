// How a conversation opens and how the list keeps the keyboard, in Chromium (issue 14 item 9). A
// conversation opens where the reader left off, not scrolled to the bottom: never read, at its
// start (the email's From and Subject); with news, at the "New" line; all read, at the newest
// email. A clicked row keeps the focus, so ↑/↓ and j/k go on from it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '@libsql/client';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, signInWithPassword, startApp, type RunningApp } from './harness.ts';
import { DEMO_PASSWORD, DemoConversations, DemoUsers } from '../../src/lib/server/seed.ts';

let app: RunningApp;
let browser: Browser;
let orderId: string;

beforeAll(async () => {
	[app, browser] = await Promise.all([startApp(), launchChromium()]);
	const db = createClient({ url: app.databaseUrl });
	orderId = String((await db.execute({ sql: 'SELECT id FROM conversations WHERE subject = ?', args: [DemoConversations.order.subject] })).rows[0].id);
	db.close();
});
afterAll(async () => {
	await browser?.close();
	await app?.stop();
});

async function signIn(email: string): Promise<Page> {
	// a short window, so the timeline is taller than its scroller
	const page = await (await browser.newContext({ viewport: { width: 1280, height: 640 } })).newPage();
	await signInWithPassword(page, app, email, DEMO_PASSWORD);
	return page;
}

/** Bob writes `n` chat messages in the order conversation and waits until the server has them all. */
async function bobWrites(bob: Page, prefix: string, n: number) {
	await bob.goto(`${app.url}/c/${orderId}`);
	const box = bob.getByLabel('Message');
	for (let i = 1; i <= n; i++) {
		await box.fill(`${prefix} ${i}: a line long enough to take some room in the timeline, as real messages do.`);
		await box.press('Enter');
	}
	await expect.poll(() => bob.getByTestId('chat-message').filter({ hasText: `${prefix} ${n}:` }).count(), { timeout: 10_000 }).toBe(1);
	await expect.poll(() => bob.getByTestId('chat-pending').count(), { timeout: 10_000 }).toBe(0);
}

/** Whether `selector`'s first match (inside the timeline) is wholly inside the timeline's visible area, which scrolls. */
function inView(page: Page, what: 'from' | 'new'): Promise<boolean> {
	return page.evaluate((what) => {
		const scroller = document.querySelector('[data-testid="timeline"]');
		const el =
			what === 'from'
				? [...document.querySelectorAll('[data-testid="email-message"] dt')].find((dt) => dt.textContent === 'From')
				: document.querySelector('[data-testid="unread-marker"]');
		if (!scroller || !el) return false;
		const s = scroller.getBoundingClientRect();
		const e = el.getBoundingClientRect();
		return scroller.scrollHeight > scroller.clientHeight && e.top >= s.top && e.bottom <= s.bottom;
	}, what);
}

const focusedSubject = (page: Page) =>
	page.evaluate(() => document.activeElement?.closest('a.conv')?.querySelector('.conv-subject')?.textContent ?? null);

async function openFromList(alice: Page, chatCount: number) {
	await alice.goto(`${app.url}/`);
	await alice.getByTestId('conversation-row').filter({ hasText: DemoConversations.order.subject }).click();
	await alice.waitForURL(`**/c/${orderId}`);
	// every message has arrived: the place must hold while the lanes load, not only show once
	await expect.poll(() => alice.getByTestId('chat-message').count(), { timeout: 15_000 }).toBe(chatCount);
}

describe('opening a conversation', () => {
	it('opens at its start when never read, at the New line with news, at the newest email when all is read', async () => {
		const [alice, bob] = await Promise.all([signIn(DemoUsers.alice.email), signIn(DemoUsers.bob.email)]);
		await bobWrites(bob, 'Earlier', 10);

		// never opened by Alice: the email's From and Subject are in view, not the last chat message
		await openFromList(alice, 11);
		await expect.poll(() => inView(alice, 'from')).toBe(true);

		// news while she was away (on the list: an open conversation reads what arrives in it): the
		// "New" line is in view, with what came after it
		await alice.goto(`${app.url}/`);
		await bobWrites(bob, 'News', 10);
		await openFromList(alice, 21);
		await expect.poll(() => inView(alice, 'new')).toBe(true);
		expect(await alice.getByTestId('unread-marker').count()).toBe(1);

		// everything read: back at the newest email (the chat after it is a scroll away)
		await openFromList(alice, 21);
		expect(await alice.getByTestId('unread-marker').count()).toBe(0);
		await expect.poll(() => inView(alice, 'from')).toBe(true);

		// writing follows the end again: her own message is shown
		await alice.getByLabel('Message').fill('On it, replacing the lamp today.');
		await alice.getByLabel('Message').press('Enter');
		await expect
			.poll(() =>
				alice.evaluate(() => {
					const scroller = document.querySelector('[data-testid="timeline"]')!;
					const last = [...document.querySelectorAll('[data-testid="chat-message"]')].at(-1)!;
					return last.textContent?.includes('On it, replacing the lamp today.') && last.getBoundingClientRect().bottom <= scroller.getBoundingClientRect().bottom + 1;
				})
			)
			.toBe(true);
		await Promise.all([alice.context().close(), bob.context().close()]);
	});

	it('a clicked row keeps the focus, so ↑/↓ and j/k go on from it', async () => {
		const alice = await signIn(DemoUsers.alice.email);
		const rows = alice.getByTestId('conversation-row');
		await expect.poll(() => rows.count(), { timeout: 15_000 }).toBeGreaterThan(1);
		await rows.filter({ hasText: DemoConversations.order.subject }).click();
		await alice.waitForURL(`**/c/${orderId}`);
		await expect.poll(() => focusedSubject(alice)).toBe(DemoConversations.order.subject);

		const subjects = await alice.locator('a.conv .conv-subject').allInnerTexts();
		const i = subjects.indexOf(DemoConversations.order.subject);
		const down = i + 1 < subjects.length;
		await alice.keyboard.press(down ? 'ArrowDown' : 'ArrowUp');
		await expect.poll(() => focusedSubject(alice)).toBe(subjects[down ? i + 1 : i - 1]);
		await alice.keyboard.press(down ? 'k' : 'j');
		await expect.poll(() => focusedSubject(alice)).toBe(DemoConversations.order.subject);
		await alice.context().close();
	});
});
