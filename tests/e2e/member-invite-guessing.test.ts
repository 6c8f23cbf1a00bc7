// Security review: member invitation links (/invite/<token>) were not rate limited, unlike guest links
// and sign-in links: a guesser could try tokens (and the signup POST) without limit. Same per-IP limit now.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postForm, startApp, type RunningApp } from './harness.ts';

describe('guessing member invitation tokens', () => {
	let app: RunningApp;
	beforeAll(async () => {
		app = await startApp({ env: { SMTP_LISTEN_PORT: 'off', PARLEY_SEED: 'off' } });
	});
	afterAll(async () => app?.stop());

	it('is rate limited per IP on the link page and its POSTs', async () => {
		const guess = () => Array.from({ length: 32 }, () => 'abcdefghijklmnopqrstuvwxyz234567'[Math.floor(Math.random() * 32)]).join('');
		const statuses: number[] = [];
		for (let i = 0; i < 30; i++) statuses.push((await fetch(`${app.url}/invite/${guess()}`)).status);
		expect(statuses.every((s) => s === 200)).toBe(true);
		expect((await fetch(`${app.url}/invite/${guess()}`)).status).toBe(429);
		const signup = await postForm(app, `/invite/${guess()}?/signup`, { name: 'X', password: 'xxxxxxxxxx' });
		expect(signup.status).toBe(429);
		const accept = await postForm(app, `/invite/${guess()}?/accept`, {});
		expect(accept.status).toBe(429);
	});
});
