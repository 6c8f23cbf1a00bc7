// End-to-end harness: the BUILT app as a child process on port 0 with its own database, and
// Debian's Chromium through playwright-core. Run `npm run build` first.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface RunningApp {
	/** Base URL, e.g. http://127.0.0.1:41234 */
	url: string;
	databaseUrl: string;
	/** Everything the server printed so far (stdout and stderr). */
	output: () => string;
	/** Waits until the output matches `pattern` (lines printed at start may arrive after "listening"). */
	waitForOutput: (pattern: RegExp, timeoutMs?: number) => Promise<RegExpMatchArray>;
	/** Stops the process; `keepData` leaves the database for a restart (`startApp({ databaseUrl })`). */
	stop: (opts?: { keepData?: boolean }) => Promise<void>;
}

/**
 * Starts `server/index.ts` (override with PARLEY_E2E_ENTRY) under tsx with PORT=0, HOST=127.0.0.1
 * and a temp DATABASE_URL; resolves once it prints "Parley listening on …".
 */
export async function startApp(
	options: { env?: Record<string, string | undefined>; timeoutMs?: number; /** restart on an earlier run's database (kept after stop) */ databaseUrl?: string } = {}
): Promise<RunningApp> {
	if (!fs.existsSync(path.join(ROOT, 'build', 'handler.js'))) throw new Error('build/handler.js is missing: run `npx vite build` first');
	const ownDir = options.databaseUrl === undefined;
	const dir = ownDir ? fs.mkdtempSync(path.join(os.tmpdir(), 'parley-e2e-')) : '';
	const databaseUrl = options.databaseUrl ?? `file:${path.join(dir, 'parley.db')}`;
	const entry = process.env.PARLEY_E2E_ENTRY ?? path.join(ROOT, 'server', 'index.ts');
	// inbound SMTP on a free port too, so tests never collide with each other or a running Parley
	const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', HOST: '127.0.0.1', DATABASE_URL: databaseUrl, SMTP_LISTEN_PORT: '0', ...options.env };
	delete env.SMTP_URL; // mail goes to the outbox, read back through /dev/mail
	delete env.ORIGIN;
	delete env.NODE_ENV; // vitest sets NODE_ENV=test; the app must behave as on a developer's machine
	for (const [k, v] of Object.entries(options.env ?? {})) if (v === undefined) delete env[k];
	else env[k] = v;

	const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', entry], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
	let output = '';
	child.stdout!.on('data', (d) => (output += d));
	child.stderr!.on('data', (d) => (output += d));

	let keep = false;
	const stop = async (opts: { keepData?: boolean } = {}) => {
		keep = opts.keepData ?? false;
		if (child.exitCode === null && child.signalCode === null) {
			const exited = new Promise((resolve) => child.once('exit', resolve));
			child.kill('SIGTERM');
			const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
			await exited;
			clearTimeout(timer);
		}
		if (ownDir && !keep) fs.rmSync(dir, { recursive: true, force: true });
	};

	const url = await new Promise<string>((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`app did not start in time:\n${output}`)), options.timeoutMs ?? 60_000);
		const onData = () => {
			const match = output.match(/Parley listening on (https?:\/\/\S+)/);
			if (match) {
				clearTimeout(timer);
				// the server binds 127.0.0.1; "localhost" may resolve to ::1 first
				resolve(match[1].replace('//localhost:', '//127.0.0.1:').replace(/\/$/, ''));
			}
		};
		child.stdout!.on('data', onData);
		child.once('exit', (code) => {
			clearTimeout(timer);
			reject(new Error(`app exited with ${code} before listening:\n${output}`));
		});
	}).catch(async (err) => {
		await stop();
		throw err;
	});

	const waitForOutput = (pattern: RegExp, timeoutMs = 10_000) =>
		new Promise<RegExpMatchArray>((resolve, reject) => {
			const check = () => {
				const match = output.match(pattern);
				if (!match) return false;
				child.stdout!.off('data', check);
				child.stderr!.off('data', check);
				clearTimeout(timer);
				resolve(match);
				return true;
			};
			const timer = setTimeout(() => {
				child.stdout!.off('data', check);
				child.stderr!.off('data', check);
				reject(new Error(`the app never printed ${pattern}:\n${output}`));
			}, timeoutMs);
			if (check()) return;
			child.stdout!.on('data', check);
			child.stderr!.on('data', check);
		});

	return { url, databaseUrl, output: () => output, waitForOutput, stop };
}

/**
 * Signs `page` in through the password form, as a person would, and waits until the app has left
 * /signin. When it does not, the error names what the page and the server said instead of a bare
 * timeout.
 */
export async function signInWithPassword(page: Page, app: Pick<RunningApp, 'url' | 'output'>, email: string, password: string): Promise<void> {
	await page.goto(`${app.url}/signin`);
	await page.getByLabel('Email').first().fill(email);
	await page.getByLabel('Password').fill(password);
	await page.getByRole('button', { name: 'Sign in' }).click();
	try {
		// the inbox's first load also installs the service worker: wait for the navigation, not every resource
		await page.waitForURL((url) => url.pathname !== '/signin', { waitUntil: 'commit', timeout: 60_000 });
		// and for the page's scripts: a click before hydration is a full page load, slow on a busy machine
		await page.locator('html[data-hydrated]').waitFor({ state: 'attached', timeout: 60_000 });
	} catch (error) {
		const shown = await page.locator('body').innerText().catch(() => '(no body)');
		throw new Error(`${email} did not get past sign-in; ${page.url()} shows:\n${shown.slice(0, 500)}\nserver said:\n${app.output().slice(-2000)}`, { cause: error });
	}
}

/** Launches Debian's Chromium (/usr/bin/chromium, or CHROMIUM_PATH) headless. */
export function launchChromium(): Promise<Browser> {
	return chromium.launch({
		executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
		args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync']
	});
}

export interface FormResponse {
	status: number;
	location: string | null;
	cookies: string[];
	body: string;
}

/**
 * POSTs a form the way a browser without JavaScript does (no redirects followed), from `origin`
 * (the app's own by default).
 */
export async function postForm(
	app: Pick<RunningApp, 'url'>,
	pathAndQuery: string,
	fields: Record<string, string>,
	opts: { origin?: string | null; cookie?: string } = {}
): Promise<FormResponse> {
	const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' };
	const origin = opts.origin === undefined ? app.url : opts.origin;
	if (origin) headers.origin = origin;
	if (opts.cookie) headers.cookie = opts.cookie;
	const res = await fetch(app.url + pathAndQuery, { method: 'POST', headers, body: new URLSearchParams(fields), redirect: 'manual' });
	return { status: res.status, location: res.headers.get('location'), cookies: res.headers.getSetCookie(), body: await res.text() };
}

/** The `name=value` of the session cookie in a response, for the next request's Cookie header. */
export function sessionCookie(res: Pick<FormResponse, 'cookies'>): string | null {
	const set = res.cookies.find((c) => c.startsWith('parley_session=') && !c.startsWith('parley_session=;'));
	return set ? set.split(';')[0] : null;
}

/** The links in the dev outbox (/dev/mail) sent to `to`, newest first. */
export async function readOutboxLinks(app: Pick<RunningApp, 'url'>, to: string): Promise<string[]> {
	const html = await (await fetch(`${app.url}/dev/mail`)).text();
	const links: string[] = [];
	for (const item of html.split('data-testid="mail"').slice(1)) {
		const recipient = item.match(/data-testid="mail-to"[^>]*>([^<]*)</)?.[1];
		if (recipient !== to) continue;
		for (const m of item.matchAll(/href="([^"]+)"/g)) links.push(m[1].replaceAll('&amp;', '&'));
	}
	return links;
}
