import { describe, expect, it } from 'vitest';
import { createRateLimiter } from './rate-limit.ts';

// Each case: a rule, then a script of [milliseconds since start, key, expected answer].
type Step = [at: number, key: string, allowed: boolean];
const cases: { name: string; limit: number; windowMs: number; steps: Step[] }[] = [
	{
		name: 'allows up to the limit, then refuses within the window',
		limit: 3,
		windowMs: 1000,
		steps: [[0, 'a', true], [10, 'a', true], [20, 'a', true], [30, 'a', false], [999, 'a', false]]
	},
	{
		name: 'opens a fresh window once the old one has passed',
		limit: 2,
		windowMs: 1000,
		steps: [[0, 'a', true], [1, 'a', true], [2, 'a', false], [1000, 'a', true], [1001, 'a', true], [1002, 'a', false]]
	},
	{
		name: 'counts keys separately',
		limit: 1,
		windowMs: 1000,
		steps: [[0, 'ip:1', true], [0, 'ip:2', true], [1, 'ip:1', false], [1, 'ip:2', false]]
	},
	{
		name: 'a refused hit does not extend the window',
		limit: 1,
		windowMs: 100,
		steps: [[0, 'a', true], [50, 'a', false], [99, 'a', false], [100, 'a', true]]
	},
	{
		name: 'a zero limit refuses everything',
		limit: 0,
		windowMs: 100,
		steps: [[0, 'a', false], [500, 'a', false]]
	}
];

describe('createRateLimiter', () => {
	for (const c of cases) {
		it(c.name, () => {
			let t = 0;
			const limiter = createRateLimiter({ limit: c.limit, windowMs: c.windowMs }, () => t);
			for (const [at, key, allowed] of c.steps) {
				t = at;
				expect([at, key, limiter.take(key)]).toEqual([at, key, allowed]);
			}
		});
	}

	it('reset lets a key start over', () => {
		const limiter = createRateLimiter({ limit: 1, windowMs: 1000 }, () => 0);
		expect(limiter.take('a')).toBe(true);
		expect(limiter.take('a')).toBe(false);
		limiter.reset('a');
		expect(limiter.take('a')).toBe(true);
	});

	it('forgets expired keys so memory stays bounded', () => {
		let t = 0;
		const limiter = createRateLimiter({ limit: 5, windowMs: 100 }, () => t);
		for (let i = 0; i < 50; i++) limiter.take(`k${i}`);
		expect(limiter.size).toBe(50);
		t = 250;
		limiter.take('fresh');
		expect(limiter.size).toBe(1);
	});
});
