// The shared rate limits over a real redis-server: two connections stand for two nodes. Hits on
// either count against one budget per key; a window ends on its own (the counter expires in
// Redis); reset forgets a key everywhere; a Redis that does not answer leaves each node counting
// on its own, and names the outage once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createRedisRateLimiter, rateLimitKey } from '../../src/lib/server/rate-limit-redis.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { until } from '../helpers/sync-ops.ts';

let redis: TestRedis;
let a: Redis;
let b: Redis;

beforeAll(async () => {
	redis = await startRedis();
	a = new Redis(redis.url, { maxRetriesPerRequest: 1 });
	b = new Redis(redis.url, { maxRetriesPerRequest: 1 });
}, 30_000);

afterAll(async () => {
	a?.disconnect();
	b?.disconnect();
	await redis?.stop();
});

describe('rate limits shared over Redis', () => {
	it('counts hits from two nodes against one budget per key, and keys apart', async () => {
		const rule = { limit: 3, windowMs: 60_000 };
		const onA = createRedisRateLimiter(a, 'signIn', rule, () => {});
		const onB = createRedisRateLimiter(b, 'signIn', rule, () => {});
		const answers = [await onA.take('x'), await onB.take('x'), await onA.take('x'), await onB.take('x'), await onA.take('x')];
		expect(answers).toEqual([true, true, true, false, false]);
		expect(await onB.take('y')).toBe(true);
		// another rule with the same key has its own budget
		expect(await createRedisRateLimiter(b, 'mail', rule, () => {}).take('x')).toBe(true);
	});

	it('ends a window by itself, and reset on one node frees the key on the other', async () => {
		const rule = { limit: 1, windowMs: 300 };
		const onA = createRedisRateLimiter(a, 'short', rule, () => {});
		const onB = createRedisRateLimiter(b, 'short', rule, () => {});
		expect(await onA.take('k')).toBe(true);
		expect(await onB.take('k')).toBe(false);
		// the counter carries its window as an expiry: no sweeper needed, nothing left behind
		const ttl = await a.pttl(rateLimitKey('short', 'k'));
		expect(ttl).toBeGreaterThan(0);
		expect(ttl).toBeLessThanOrEqual(300);
		await until(async () => (await a.exists(rateLimitKey('short', 'k'))) === 0, 'the window expires', 5000);
		expect(await onB.take('k')).toBe(true);
		await onA.reset('k');
		expect(await onB.take('k')).toBe(true);
	});

	it('while Redis does not answer, a node counts on its own (still limiting) and says so once', async () => {
		const said: string[] = [];
		const onA = createRedisRateLimiter(a, 'outage', { limit: 2, windowMs: 60_000 }, (m) => said.push(m));
		const pid = redis.pid();
		process.kill(pid, 'SIGSTOP');
		let answers: boolean[];
		try {
			answers = [await onA.take('z'), await onA.take('z'), await onA.take('z')];
		} finally {
			process.kill(pid, 'SIGCONT');
		}
		expect(answers).toEqual([true, true, false]);
		expect(said).toHaveLength(1);
		expect(said[0]).toContain('counting on this node');
	});
});
