// Two built nodes over one database file and a real Redis, as behind a load balancer.
// /healthz: both answer 200 ok; while Redis does not answer (paused) both answer 503 degraded, and
// ok again by themselves once it does. The embedded default (no REDIS_URL) answers ok with Redis off.
// Rate limits: sign-in guesses spread over both nodes count against one budget; while Redis does
// not answer each node still limits on its own. Live work: Alice in Chromium on one node and Bob on
// the other chat, see each other here and typing, and tick a task, as on one node.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '@libsql/client';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, postForm, signInWithPassword, startApp, type RunningApp } from './harness.ts';
import { DEMO_PASSWORD, DemoConversations, DemoUsers } from '../../src/lib/server/seed.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { until } from '../helpers/sync-ops.ts';

let redis: TestRedis;
let nodeA: RunningApp;
let nodeB: RunningApp;
let single: RunningApp;

beforeAll(async () => {
	redis = await startRedis();
	nodeA = await startApp({ env: { REDIS_URL: redis.url } });
	// the second node after the first: the first seeds the shared database
	nodeB = await startApp({ env: { REDIS_URL: redis.url }, databaseUrl: nodeA.databaseUrl });
	single = await startApp({ env: { REDIS_URL: undefined } });
}, 120_000);

afterAll(async () => {
	await nodeB?.stop({ keepData: true });
	await nodeA?.stop();
	await single?.stop();
	await redis?.stop();
}, 60_000);

async function health(app: RunningApp): Promise<{ code: number; body: unknown }> {
	const res = await fetch(`${app.url}/healthz`);
	return { code: res.status, body: await res.json() };
}

describe('/healthz', () => {
	it('two nodes with REDIS_URL: ok; degraded while Redis does not answer; ok again by themselves', async () => {
		const ok = { code: 200, body: { status: 'ok', database: 'ok', redis: 'ok' } };
		expect(await health(nodeA)).toEqual(ok);
		expect(await health(nodeB)).toEqual(ok);
		const pid = redis.pid();
		process.kill(pid, 'SIGSTOP');
		try {
			const degraded = { code: 503, body: { status: 'degraded', database: 'ok', redis: 'down' } };
			expect(await health(nodeA)).toEqual(degraded);
			expect(await health(nodeB)).toEqual(degraded);
		} finally {
			process.kill(pid, 'SIGCONT');
		}
		await until(async () => (await health(nodeA)).code === 200 && (await health(nodeB)).code === 200, 'both nodes report ok again', 20_000);
	}, 60_000);

	it('the embedded default: ok, Redis off, no session needed', async () => {
		expect(await health(single)).toEqual({ code: 200, body: { status: 'ok', database: 'ok', redis: 'off' } });
	});
});

// before the rate limits: they use up Alice's and Bob's sign-in budget
describe('live work across two nodes, in Chromium', () => {
	let browser: Browser;
	beforeAll(async () => {
		browser = await launchChromium();
	}, 60_000);
	afterAll(async () => {
		await browser?.close();
	});

	async function openOrder(node: RunningApp, email: string): Promise<Page> {
		const page = await (await browser.newContext()).newPage();
		await signInWithPassword(page, node, email, DEMO_PASSWORD);
		const db = createClient({ url: node.databaseUrl });
		const id = String((await db.execute({ sql: 'SELECT id FROM conversations WHERE subject = ?', args: [DemoConversations.order.subject] })).rows[0].id);
		db.close();
		await page.goto(`${node.url}/c/${id}`);
		await page.locator('html[data-hydrated]').waitFor({ timeout: 60_000 });
		return page;
	}

	it('Alice on one node and Bob on the other chat live, see presence and typing, and share task changes', async () => {
		const alice = await openOrder(nodeA, DemoUsers.alice.email);
		const bob = await openOrder(nodeB, DemoUsers.bob.email);
		// presence crosses nodes: each sees the other here
		await expect.poll(() => alice.getByTestId('presence').textContent(), { timeout: 15_000 }).toContain(DemoUsers.bob.name);
		await expect.poll(() => bob.getByTestId('presence').textContent(), { timeout: 15_000 }).toContain(DemoUsers.alice.name);

		// typing on one node shows on the other
		await bob.getByLabel('Message').fill('Checking the warehouse stock');
		await expect.poll(() => alice.getByTestId('typing').textContent(), { timeout: 15_000 }).toContain(`${DemoUsers.bob.name} is typing`);
		await bob.getByLabel('Message').press('Enter');
		await expect.poll(() => alice.getByTestId('chat-message').filter({ hasText: 'Checking the warehouse stock' }).count(), { timeout: 15_000 }).toBe(1);

		await alice.getByLabel('Message').fill('Thanks Bob, two left in stock');
		await alice.getByLabel('Message').press('Enter');
		await expect.poll(() => bob.getByTestId('chat-message').filter({ hasText: 'two left in stock' }).count(), { timeout: 15_000 }).toBe(1);
		// acknowledged by the owner, wherever it is: nothing stays pending on either side
		await expect.poll(() => alice.getByTestId('chat-pending').count(), { timeout: 15_000 }).toBe(0);
		await expect.poll(() => bob.getByTestId('chat-pending').count(), { timeout: 15_000 }).toBe(0);

		// a task ticked on node A is ticked for Bob on node B
		const title = (await alice.getByTestId('task-title').first().textContent())!;
		const taskOf = (page: Page) => page.getByTestId('task').filter({ has: page.getByTestId('task-title').getByText(title, { exact: true }) }).getByRole('checkbox');
		const wasDone = await taskOf(alice).isChecked();
		await taskOf(alice).click();
		await expect.poll(() => taskOf(bob).isChecked(), { timeout: 15_000 }).toBe(!wasDone);

		// and it all holds after Bob reloads from his node (stored, not only relayed)
		await bob.reload();
		await expect.poll(() => bob.getByTestId('chat-message').filter({ hasText: 'two left in stock' }).count(), { timeout: 15_000 }).toBe(1);
		await alice.context().close();
		await bob.context().close();
	}, 120_000);
});

describe('rate limits across nodes', () => {
	const guess = (node: RunningApp, email: string, password: string) => postForm(node, '/signin?/password', { email, password });

	it('password guesses spread over two nodes share one budget, and the right password then waits too', async () => {
		await until(async () => (await health(nodeA)).code === 200 && (await health(nodeB)).code === 200, 'both nodes report ok', 20_000);
		const email = DemoUsers.bob.email;
		const statuses: number[] = [];
		// five per address per 15 minutes in all, not five per node
		for (let i = 0; i < 6; i++) statuses.push((await guess(i % 2 === 0 ? nodeA : nodeB, email, `guess-${i}`)).status);
		expect(statuses).toEqual([400, 400, 400, 400, 400, 429]);
		const right = await guess(nodeA, email, DEMO_PASSWORD);
		expect(right.status).toBe(429);
		expect(right.body).toContain('Too many attempts');
		expect(right.cookies.some((c) => c.startsWith('parley_session=') && !c.startsWith('parley_session=;'))).toBe(false);
	});

	it('while Redis does not answer, each node still limits on its own, and the shared count resumes after', async () => {
		const email = DemoUsers.alice.email;
		const pid = redis.pid();
		process.kill(pid, 'SIGSTOP');
		const statuses: number[] = [];
		try {
			for (let i = 0; i < 6; i++) statuses.push((await guess(nodeA, email, `guess-${i}`)).status);
		} finally {
			process.kill(pid, 'SIGCONT');
		}
		expect(statuses).toEqual([400, 400, 400, 400, 400, 429]);
		expect(nodeA.output()).toContain('counting on this node until it does');
		await until(async () => (await health(nodeA)).code === 200, 'node A reports ok again', 20_000);
		// back on the shared count: a fresh address gets five in all over both nodes again
		const fresh = 'fresh-guess@acme.test';
		const after: number[] = [];
		for (let i = 0; i < 6; i++) after.push((await guess(i % 2 === 0 ? nodeB : nodeA, fresh, `guess-${i}`)).status);
		expect(after).toEqual([400, 400, 400, 400, 400, 429]);
	}, 60_000);
});
