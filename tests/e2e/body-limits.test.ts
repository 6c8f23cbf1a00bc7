// Security review: BODY_SIZE_LIMIT is raised to the inbound-mail size (25 MB) for the webhook, and so
// applied to every route: any visitor could make sign-in or sign-up parse a 25 MB form. Outside the
// webhook, requests that change state are limited to 1 MiB before anything reads them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from './harness.ts';

let app: RunningApp;
beforeAll(async () => {
	app = await startApp({ env: { SMTP_LISTEN_PORT: 'off', PARLEY_SEED: 'off' } });
});
afterAll(async () => app?.stop());

describe('request body limits', () => {
	it('refuses an oversized form post before parsing it', async () => {
		const body = new URLSearchParams({ email: 'a@example.com', password: 'x'.repeat(3 * 1024 * 1024) });
		const res = await fetch(`${app.url}/signin?/password`, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded', origin: app.url, accept: 'text/html' },
			body
		});
		expect(res.status).toBe(413);
	});

	it('refuses an oversized JSON body', async () => {
		const res = await fetch(`${app.url}/c/x/reply`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', origin: app.url, accept: 'application/json' },
			body: JSON.stringify({ text: 'x'.repeat(3 * 1024 * 1024) })
		});
		expect(res.status).toBe(413);
	});

	it('still takes a normal form post', async () => {
		const res = await fetch(`${app.url}/signin?/password`, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded', origin: app.url, accept: 'text/html' },
			body: new URLSearchParams({ email: 'a@example.com', password: 'not-the-password' }),
			redirect: 'manual'
		});
		expect(res.status).toBe(400);
	});
});
