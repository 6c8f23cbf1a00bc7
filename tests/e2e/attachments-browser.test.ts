// Attachments out in Chromium, through real SMTP: Alice attaches a file to a new email and to a
// reply; the sink gets the bytes as a MIME attachment and the sent message in the timeline lists
// the file, which downloads. A file over the limit is named under the picker and nothing is posted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, signInWithPassword, startApp, type RunningApp } from './harness.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/mail.ts';
import { DEMO_PASSWORD, DemoConversations, DemoUsers } from '../../src/lib/server/seed.ts';
import { OUTGOING_ATTACHMENT_LIMITS } from '../../src/lib/shared/outgoing-attachments.ts';

let app: RunningApp;
let browser: Browser;
let sink: SmtpSink;
// larger than the 1 MiB every other post may carry: a post with files gets the attachments' room
const receipt = Buffer.from(Array.from({ length: 1536 * 1024 }, (_, i) => (i * 31) % 256));

async function signInAlice(): Promise<{ context: BrowserContext; page: Page }> {
	const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
	const page = await context.newPage();
	page.on('pageerror', (e) => console.error('[alice] pageerror', e.message));
	await signInWithPassword(page, app, DemoUsers.alice.email, DEMO_PASSWORD);
	return { context, page };
}

beforeAll(async () => {
	sink = await startSmtpSink();
	[app, browser] = await Promise.all([startApp({ env: { SMTP_URL: sink.url, SMTP_LISTEN_PORT: 'off' } }), launchChromium()]);
});
afterAll(async () => {
	await browser?.close();
	await app?.stop();
	await sink?.close();
});

describe('attachments in the browser', () => {
	it('a new email with a file: too large is named and not posted; the right one reaches the sink and shows on the sent message', async () => {
		const { context, page } = await signInAlice();
		await page.goto(`${app.url}/compose`);
		await page.getByLabel('To', { exact: true }).fill('dana@example.com');
		await page.getByLabel('Subject').fill('Your receipt');
		await page.getByLabel('Message').fill('Hi Dana, your receipt is attached.');
		const input = page.getByLabel('Attach files');
		await input.setInputFiles({ name: 'huge.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(OUTGOING_ATTACHMENT_LIMITS.maxFileBytes + 1) });
		await expect.poll(() => page.getByTestId('attach-error').textContent()).toContain('“huge.bin” is too large');
		await page.getByRole('button', { name: 'Send' }).click();
		await page.waitForTimeout(500);
		expect(page.url()).toBe(`${app.url}/compose`);
		expect(sink.received).toHaveLength(0);

		await input.setInputFiles({ name: 'receipt.pdf', mimeType: 'application/pdf', buffer: receipt });
		await expect.poll(() => page.getByTestId('attach-error').count()).toBe(0);
		await page.getByRole('button', { name: 'Send' }).click();
		await page.waitForURL(/\/c\/[A-Za-z0-9_-]+$/);
		await sink.waitFor(1, 15_000);
		const [file] = sink.received[0].parsed.attachments;
		expect(file.filename).toBe('receipt.pdf');
		expect(Buffer.compare(file.content, receipt)).toBe(0);

		const sent = page.getByTestId('email-message').filter({ hasText: 'your receipt is attached' });
		const link = sent.getByTestId('attachment-link');
		await expect.poll(() => link.textContent(), { timeout: 10_000 }).toContain('receipt.pdf');
		const download = await page.request.get(`${app.url}${await link.getAttribute('href')}`);
		expect(Buffer.compare(await download.body(), receipt)).toBe(0);
		await context.close();
	});

	it('a reply with a file reaches the sink and shows in the thread', async () => {
		const { context, page } = await signInAlice();
		const before = sink.received.length;
		await page.goto(`${app.url}/`);
		await page.getByTestId('conversation-row').filter({ hasText: DemoConversations.order.subject }).first().click();
		const email = page.getByTestId('email-message').first();
		await email.getByRole('button', { name: 'Reply', exact: true }).click();
		await email.getByLabel('Your reply').fill('The label is attached.');
		await email.getByLabel('Attach files').setInputFiles({ name: 'label.txt', mimeType: 'text/plain', buffer: Buffer.from('RETURN LABEL 42') });
		await email.getByRole('button', { name: 'Send reply' }).click();
		await sink.waitFor(before + 1, 15_000);
		const files = sink.received[before].parsed.attachments;
		expect(files.map((f) => [f.filename, f.content.toString()])).toEqual([['label.txt', 'RETURN LABEL 42']]);
		const reply = page.getByTestId('email-message').filter({ hasText: 'The label is attached.' });
		await expect.poll(() => reply.getByTestId('attachment-link').textContent(), { timeout: 10_000 }).toContain('label.txt');
		await context.close();
	});
});
