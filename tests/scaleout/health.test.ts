// /healthz's answer (health.ts) for a load balancer, over a real database file and a real Redis:
// ok while both answer, degraded while Redis does not answer, ok again by itself when it returns; the
// embedded default reports Redis as off and stays ok; a database that cannot answer is degraded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHealth } from '../../src/lib/server/health.ts';
import { startRelay, until, type TestRelay } from '../relay/fixture.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

let redis: TestRedis;
let node: TestRelay;

beforeAll(async () => {
	redis = await startRedis();
	node = await startRelay({ redisUrl: redis.url });
}, 60_000);

afterAll(async () => {
	await node?.close();
	await redis?.stop();
}, 60_000);

describe('/healthz', () => {
	it('a node with REDIS_URL: ok, degraded while Redis does not answer, ok again once it does', async () => {
		expect(await checkHealth(node.database)).toEqual({ status: 'ok', database: 'ok', redis: 'ok' });
		// a hung Redis (paused), the case a bounded probe is for
		const pid = redis.pid();
		process.kill(pid, 'SIGSTOP');
		try {
			expect(await checkHealth(node.database, 1000)).toEqual({ status: 'degraded', database: 'ok', redis: 'down' });
		} finally {
			process.kill(pid, 'SIGCONT');
		}
		await until(async () => (await checkHealth(node.database, 1000)).status === 'ok', 'the node reports ok again', 15_000);
		// a Redis restarted (its connections dropped): the node reconnects by itself
		await redis.restart();
		await until(async () => (await checkHealth(node.database, 1000)).status === 'ok', 'the node reports ok again', 15_000);
		expect(await checkHealth(node.database)).toEqual({ status: 'ok', database: 'ok', redis: 'ok' });
	}, 30_000);

	it('the embedded default: ok with Redis off; degraded when its database cannot answer', async () => {
		const single = await startRelay();
		try {
			expect(await checkHealth(single.database)).toEqual({ status: 'ok', database: 'ok', redis: 'off' });
			single.database.client.close();
			expect(await checkHealth(single.database)).toEqual({ status: 'degraded', database: 'down', redis: 'off' });
		} finally {
			await single.close();
		}
	});
});
