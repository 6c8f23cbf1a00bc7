// Security review: without ORIGIN the app takes its own origin from the request's Host header, and
// puts it into every emailed link (sign-in links, invitations). Anyone can send a Host header (and a
// matching Origin), so a stranger could ask for a sign-in link for someone else's address and have it
// point at their own site: the victim's click hands them the token. In production the public origin
// must therefore be configured; the app refuses to start without it.
import { describe, expect, it } from 'vitest';
import { startApp } from './harness.ts';

describe('public origin in production', () => {
	it('refuses to start in production without ORIGIN', async () => {
		const started = startApp({ env: { NODE_ENV: 'production', PARLEY_SEED: 'off' }, timeoutMs: 30_000 });
		await expect(started.then(async (app) => (await app.stop(), 'listening'))).rejects.toThrow(/ORIGIN/);
	});

	it('starts in production with ORIGIN', async () => {
		const app = await startApp({ env: { NODE_ENV: 'production', PARLEY_SEED: 'off', ORIGIN: 'https://parley.example.com' }, timeoutMs: 30_000 });
		expect(app.output()).toContain('https://parley.example.com');
		await app.stop();
	});
});
