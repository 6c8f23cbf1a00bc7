// /healthz of the built server, as a load balancer reads it: two nodes over one database file and a
// real Redis answer 200 ok; while Redis does not answer (paused) both answer 503 degraded, and ok
// again by themselves once it does. The embedded default (no REDIS_URL) answers ok with Redis off.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from './harness.ts';
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
