// Takes the README's screenshots of the built app with Debian's Chromium: the member and guest views
// on a desktop, and on a phone (390 px: the member's inbox, her menu, a conversation, the guest's):
//   npx vite build && npx tsx scripts/take-screenshots.ts
import path from 'node:path';
import { createClient } from '@libsql/client';
import type { Browser, Page } from 'playwright-core';
import { ROOT, launchChromium, signInWithPassword, startApp, type RunningApp } from '../tests/e2e/harness.ts';
import { DEMO_PASSWORD, DemoConversations, DemoUsers } from '../src/lib/server/seed.ts';

const DESKTOP = { viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 };
// a phone's width and pixel density, so the PNGs are as sharp as on the phone
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

async function signIn(browser: Browser, who: keyof typeof DemoUsers, app: RunningApp, device: object = DESKTOP): Promise<Page> {
	const context = await browser.newContext(device);
	const page = await context.newPage();
	await signInWithPassword(page, app, DemoUsers[who].email, DEMO_PASSWORD);
	return page;
}

const app = await startApp();
const browser = await launchChromium();
try {
	const db = createClient({ url: app.databaseUrl });
	const conv = String((await db.execute({ sql: 'SELECT id FROM conversations WHERE subject = ?', args: [DemoConversations.order.subject] })).rows[0].id);
	const nora = String((await db.execute({ sql: 'SELECT id FROM users WHERE email = ?', args: [DemoUsers.nora.email] })).rows[0].id);
	await db.execute({ sql: `INSERT INTO conversation_participants (conversation_id, user_id, role, added_at) VALUES (?, ?, 'guest', ?)`, args: [conv, nora, Date.now()] });
	db.close();

	const alice = await signIn(browser, 'alice', app);
	await alice.goto(`${app.url}/c/${conv}`);
	await alice.getByLabel('Message').pressSequentially('@Nor');
	await alice.getByLabel('Message').press('Enter');
	await alice.getByLabel('Message').pressSequentially('could you check the **packing photos** from the warehouse? Notes: https://example.com/batch-7');
	await alice.getByLabel('Message').press('Enter');

	const guest = await signIn(browser, 'nora', app);
	await guest.goto(`${app.url}/c/${conv}?folder=shared`);
	await guest.getByLabel('Message').pressSequentially('On it — the foam inserts were missing in batch 7. _Photos in 10 min._');
	await guest.getByLabel('Message').press('Enter');
	await alice.getByTestId('chat-message').filter({ hasText: 'foam inserts' }).waitFor();
	await guest.getByLabel('Message').pressSequentially('Sending them to @Ali');
	await alice.waitForTimeout(800); // shows "Nora North is typing…" on Alice's side

	await alice.screenshot({ path: path.join(ROOT, 'docs/screenshots/member-view.png') });
	await guest.getByLabel('Message').fill('');
	await guest.waitForTimeout(500);
	await guest.screenshot({ path: path.join(ROOT, 'docs/screenshots/guest-view.png') });
	console.log('wrote docs/screenshots/member-view.png and docs/screenshots/guest-view.png');

	const shot = async (page: Page, name: string) => {
		await page.screenshot({ path: path.join(ROOT, `docs/screenshots/${name}.png`) });
		console.log(`wrote docs/screenshots/${name}.png`);
	};
	const alicePhone = await signIn(browser, 'alice', app, PHONE);
	await alicePhone.getByTestId('conversation-row').first().waitFor();
	await shot(alicePhone, 'mobile-inbox');
	await alicePhone.getByRole('button', { name: 'Menu', exact: true }).click();
	await alicePhone.waitForTimeout(400); // the drawer slides in
	await shot(alicePhone, 'mobile-menu');
	await alicePhone.keyboard.press('Escape');
	await alicePhone.getByTestId('conversation-row').filter({ hasText: DemoConversations.order.subject }).click();
	await alicePhone.getByTestId('chat-message').filter({ hasText: 'foam inserts' }).waitFor();
	await alicePhone.waitForTimeout(500);
	await shot(alicePhone, 'mobile-conversation');

	const guestPhone = await signIn(browser, 'nora', app, PHONE);
	await guestPhone.goto(`${app.url}/c/${conv}?folder=shared`);
	await guestPhone.getByTestId('chat-message').filter({ hasText: 'foam inserts' }).waitFor();
	await guestPhone.waitForTimeout(500);
	await shot(guestPhone, 'mobile-guest-conversation');
} finally {
	await browser.close();
	await app.stop();
}
