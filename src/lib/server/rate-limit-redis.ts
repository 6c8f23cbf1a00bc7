// Rate limits shared by every node (REDIS_URL): one Redis counter per rule and key, in fixed windows
// like the in-process limiter, so a guesser spreading attempts over the nodes behind a load balancer
// gets the same budget as on one node. When Redis does not answer in time the node counts in its
// own memory instead (logged once per outage): limits stay on, per node, rather than off or
// refusing everyone.
import type { Redis } from 'ioredis';
import { createRateLimiter, RateLimits, type Limiters, type RateLimiter, type RateLimitRule } from './rate-limit.ts';
import { withTimeout } from './timeout.ts';

// INCR and the window's expiry in one step: a crash between the two must not leave a counter that never expires
const TAKE = `local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`;

/** How long a hit waits for Redis before the node decides alone. */
const REDIS_WAIT_MS = 500;

export const rateLimitKey = (rule: string, key: string) => `parley:rl:${rule}:${key}`;

export function createRedisRateLimiter(redis: Redis, name: string, rule: RateLimitRule, log: (message: string) => void): RateLimiter {
	const local = createRateLimiter(rule);
	let degraded = false;
	const fellBack = (error: unknown) => {
		if (!degraded) log(`rate limit ${name}: Redis did not answer (${String(error)}); counting on this node until it does`);
		degraded = true;
	};
	return {
		async take(key) {
			try {
				const count = Number(await withTimeout(redis.eval(TAKE, 1, rateLimitKey(name, key), rule.windowMs), REDIS_WAIT_MS));
				degraded = false;
				return count <= rule.limit;
			} catch (error) {
				fellBack(error);
				return local.take(key);
			}
		},
		async reset(key) {
			local.reset(key);
			try {
				await withTimeout(redis.del(rateLimitKey(name, key)), REDIS_WAIT_MS);
			} catch (error) {
				fellBack(error);
			}
		}
	};
}

/** One shared limiter per rule of `RateLimits`, over `redis`. */
export function createRedisLimiters(redis: Redis, log: (message: string) => void): Limiters {
	return Object.fromEntries(
		Object.entries(RateLimits).map(([name, rule]) => [name, createRedisRateLimiter(redis, name, rule, log)])
	) as Limiters;
}
