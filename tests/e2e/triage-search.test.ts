// Triage (close, reopen, snooze, mark unread, keyboard) and search in Chromium, against the built
// app with the seeded demo: Alice is a member of Acme, Nora a guest in the order conversation.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client } from '@libsql/client';
import nodemailer from 'nodemailer';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, signInWithPassword, startApp, type RunningApp } from './harness.ts';
import { DEMO_PASSWORD, DemoConversations, DemoOrgs, DemoUsers } from '../../src/lib/server/seed.ts';

let app: RunningApp;
let browser: Browser;
let db: Client;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
	[app, browser] = await Promise.all([startApp(), launchChromium()]);
	db = createClient({ url: app.databaseUrl });
	// Nora is a guest of the order conversation (the invitation flow is tested elsewhere)
	const order = await db.execute({ sql: 'SELECT id FROM conversations WHERE subject = ?', args: [DemoConversations.order.subject] });
	const nora = await db.execute({ sql: 'SELECT id FROM users WHERE email = ?', args: [DemoUsers.nora.email] });
	await db.execute({
		sql: `INSERT INTO conversation_participants (conversation_id, user_id, role, invited_by, added_at) VALUES (?, ?, 'guest', NULL, ?)`,
		args: [String(order.rows[0].id), String(nora.rows[0].id), Date.now()]
	});
}, 90_000);
afterAll(async () => {
	for (const c of contexts) await c.close().catch(() => {});
	db?.close();
	await browser?.close();
	await app?.stop();
	if (app) fs.rmSync(path.dirname(app.databaseUrl.slice('file:'.length)), { recursive: true, force: true });
});

async function signIn(name: 'alice' | 'bob' | 'nora'): Promise<Page> {
	const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
	contexts.push(context);
	const page = await context.newPage();
	page.on('pageerror', (e) => console.error(`[${name}] pageerror`, e.message));
	await signInWithPassword(page, app, DemoUsers[name].email, DEMO_PASSWORD);
	return page;
}

async function sendMail(fields: { subject: string; text: string; messageId: string; inReplyTo?: string }) {
	const smtpPort = Number((await app.waitForOutput(/Email in: SMTP on 127\.0\.0\.1:(\d+)/))[1]);
	await nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true }).sendMail({
		from: 'Dana <dana@example.com>',
		to: DemoOrgs.acme.inboxAddress,
		subject: fields.subject,
		text: fields.text,
		messageId: fields.messageId,
		...(fields.inReplyTo ? { inReplyTo: fields.inReplyTo } : {})
	});
}
async function conversationBySubject(subject: string): Promise<string> {
	for (let i = 0; i < 100; i++) {
		const id = (await db.execute({ sql: 'SELECT id FROM conversations WHERE subject = ?', args: [subject] })).rows[0]?.id;
		if (id) return String(id);
		await new Promise((r) => setTimeout(r, 100));
	}
	throw new Error(`no conversation "${subject}"`);
}
const statusOf = async (id: string) => String((await db.execute({ sql: 'SELECT status FROM conversations WHERE id = ?', args: [id] })).rows[0].status);
const rows = (page: Page, subject: string) => page.getByTestId('conversation-row').filter({ hasText: subject });

describe('triage', () => {
	it('Done closes a conversation for the team, live; new inbound mail reopens it for everyone', async () => {
		const subject = `Broken kettle ${Date.now()}`;
		await sendMail({ subject, text: 'The kettle leaks.', messageId: '<kettle-1@example.com>' });
		const id = await conversationBySubject(subject);
		const [alice, bob] = await Promise.all([signIn('alice'), signIn('bob')]);
		await expect.poll(() => rows(bob, subject).count(), { timeout: 15_000 }).toBe(1);
		await alice.goto(`${app.url}/c/${id}`);
		await alice.getByTestId('close').click();
		await expect.poll(() => alice.getByTestId('status-badge').textContent(), { timeout: 10_000 }).toBe('Closed');
		expect(await statusOf(id)).toBe('closed');
		// Bob's list follows without a reload: gone from the Inbox, present under Closed
		await expect.poll(() => rows(bob, subject).count(), { timeout: 10_000 }).toBe(0);
		await bob.getByTestId('folder-closed').click();
		await expect.poll(() => rows(bob, subject).count(), { timeout: 10_000 }).toBe(1);
		await sendMail({ subject: `Re: ${subject}`, text: 'Still leaking.', messageId: '<kettle-2@example.com>', inReplyTo: '<kettle-1@example.com>' });
		await expect.poll(() => statusOf(id), { timeout: 10_000 }).toBe('open');
		await expect.poll(() => rows(bob, subject).count(), { timeout: 10_000 }).toBe(0);
		await bob.getByTestId('folder-inbox').click();
		await expect.poll(() => rows(bob, subject).count(), { timeout: 10_000 }).toBe(1);
		await expect.poll(() => alice.getByTestId('triage').getAttribute('data-status'), { timeout: 10_000 }).toBe('open');
	});

	it('the keyboard works from anywhere in the list: j moves, e closes, / focuses the filter, u marks unread', async () => {
		const subject = `Keyboard case ${Date.now()}`;
		await sendMail({ subject, text: 'Please call me.', messageId: '<keys-1@example.com>' });
		const id = await conversationBySubject(subject);
		const alice = await signIn('alice');
		await expect.poll(() => rows(alice, subject).count(), { timeout: 15_000 }).toBe(1);
		// the newest conversation is first: j from nowhere puts the cursor on it, no row focused first
		await alice.locator('body').click({ position: { x: 700, y: 400 } });
		await alice.keyboard.press('j');
		await expect.poll(() => alice.locator('a.conv.cursor').getAttribute('data-id')).toBe(id);
		await alice.keyboard.press('Enter');
		await alice.waitForURL(`**/c/${id}**`);
		await alice.locator('.view-pane h1').click();
		await alice.keyboard.press('u');
		await alice.waitForURL(`${app.url}/`);
		await expect.poll(() => rows(alice, subject).locator('.unread-dot').count(), { timeout: 10_000 }).toBe(1);
		await alice.keyboard.press('e');
		await expect.poll(() => statusOf(id), { timeout: 10_000 }).toBe('closed');
		await expect.poll(() => rows(alice, subject).count(), { timeout: 10_000 }).toBe(0);
		await alice.keyboard.press('/');
		expect(await alice.evaluate(() => document.activeElement?.getAttribute('type'))).toBe('search');
	});

	it('a guest sees no triage controls or state, and the server refuses her a status change', async () => {
		const nora = await signIn('nora');
		await nora.getByTestId('folder-shared').click();
		await rows(nora, DemoConversations.order.subject).click();
		await nora.waitForURL('**/c/**');
		const id = nora.url().split('/c/')[1].split(/[?#]/)[0];
		await expect.poll(() => nora.getByTestId('conversation').getAttribute('data-role'), { timeout: 10_000 }).toBe('guest');
		expect(await nora.getByTestId('triage').count()).toBe(0);
		const refused = await nora.evaluate(async (cid) => {
			const res = await fetch(`/c/${cid}/status`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 'closed' }) });
			return { status: res.status, body: await res.json() };
		}, id);
		expect(refused.status).toBe(403);
		expect(refused.body.message).toMatch(/Only members/);
		expect(await statusOf(id)).toBe('open');
	});

	it('a snooze wakes on time when the server was down at its time (stored, fired at start)', async () => {
		const subject = `Snooze me ${Date.now()}`;
		await sendMail({ subject, text: 'Get back to me next week.', messageId: '<snooze-1@example.com>' });
		const id = await conversationBySubject(subject);
		const alice = await signIn('alice');
		await alice.goto(`${app.url}/c/${id}`);
		await alice.getByTestId('snooze').click();
		// the picker: a time a few seconds ahead (datetime-local has minute precision, so the API takes the exact time)
		expect(await alice.getByTestId('snooze-tomorrow').isVisible()).toBe(true);
		const until = Date.now() + 4000;
		const ok = await alice.evaluate(
			async ([cid, at]) => (await fetch(`/c/${cid}/status`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 'snoozed', snoozeUntil: at }) })).status,
			[id, until] as const
		);
		expect(ok).toBe(200);
		await expect.poll(() => alice.getByTestId('status-badge').textContent(), { timeout: 10_000 }).toMatch(/^Snoozed until/);
		await alice.goto(`${app.url}/?folder=snoozed`);
		await expect.poll(() => rows(alice, subject).count(), { timeout: 10_000 }).toBe(1);
		// down across the wake-up time
		const databaseUrl = app.databaseUrl;
		await app.stop({ keepData: true });
		while (Date.now() < until + 500) await new Promise((r) => setTimeout(r, 200));
		expect(await statusOf(id)).toBe('snoozed');
		app = await startApp({ databaseUrl });
		await expect.poll(() => statusOf(id), { timeout: 10_000 }).toBe('open');
		await alice.goto(`${app.url}/`);
		await expect.poll(() => rows(alice, subject).count(), { timeout: 15_000 }).toBe(1);
	});
});

describe('search', () => {
	const hits = (page: Page) => page.getByTestId('search-hit');
	async function searchFor(page: Page, text: string) {
		await page.keyboard.press('/');
		await page.getByTestId('search-input').fill(text);
	}

	it('a member finds a conversation by a body word, the sender name, an address and a label, with the match marked', async () => {
		const alice = await signIn('alice');
		const order = DemoConversations.order.subject;
		await alice.locator('body').click({ position: { x: 700, y: 400 } });
		await searchFor(alice, 'glass');
		await expect.poll(() => hits(alice).filter({ hasText: order }).count(), { timeout: 10_000 }).toBe(1);
		expect(await hits(alice).filter({ hasText: order }).locator('mark').first().textContent()).toMatch(/^glass$/i);
		for (const query of ['Whitfield', 'dana@example.com', 'label:urgent', 'label:Urgent glass']) {
			await alice.getByTestId('search-input').fill(query);
			await expect.poll(() => hits(alice).filter({ hasText: order }).count(), { timeout: 10_000 }).toBe(1);
		}
		// a bad filter shows the parser's message, and no list
		await alice.getByTestId('search-input').fill('is:archived');
		await expect.poll(() => alice.getByTestId('search-error').textContent(), { timeout: 10_000 }).toBe('"is:archived" is not known. Use is:open, is:closed or is:snoozed.');
		expect(await hits(alice).count()).toBe(0);
		// a hit opens its conversation
		await alice.getByTestId('search-input').fill('glass');
		await hits(alice).filter({ hasText: order }).click();
		await alice.waitForURL('**/c/**');
	});

	it('a guest finds nothing by a label name nor text of a conversation she is not in; label: is refused for her', async () => {
		const subject = `Private matter ${Date.now()}`;
		await sendMail({ subject, text: 'The zanzibarite shipment is confidential.', messageId: '<private-1@example.com>' });
		await conversationBySubject(subject);
		// indexed: the member finds it
		const alice = await signIn('alice');
		await alice.locator('body').click({ position: { x: 700, y: 400 } });
		await searchFor(alice, 'zanzibarite');
		await expect.poll(() => hits(alice).filter({ hasText: subject }).count(), { timeout: 10_000 }).toBe(1);

		const nora = await signIn('nora');
		await nora.locator('body').click({ position: { x: 700, y: 400 } });
		// her own conversation is found (the search works for her)...
		await searchFor(nora, 'glass');
		await expect.poll(() => hits(nora).filter({ hasText: DemoConversations.order.subject }).count(), { timeout: 10_000 }).toBe(1);
		// ...but not another conversation's text, nor the label name applied to hers
		for (const query of ['zanzibarite', 'Urgent']) {
			await nora.getByTestId('search-input').fill(query);
			await expect.poll(() => nora.getByTestId('search-empty').count(), { timeout: 10_000 }).toBe(1);
			expect(await hits(nora).count()).toBe(0);
		}
		const refused = await nora.evaluate(async () => {
			const res = await fetch('/search?q=label%3AUrgent', { headers: { accept: 'application/json' } });
			return { status: res.status, body: await res.json() };
		});
		expect(refused.status).toBe(400);
		// she is an owner of her own organization: the filter reads only its labels, never Acme's
		expect(refused.body.message).toBe('There is no label “Urgent”.');
		expect(await nora.locator('body').textContent()).not.toContain('zanzibarite');
	});
});
