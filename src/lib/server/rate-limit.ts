// Fixed-window rate limits keyed by string (an IP, an email address). The in-process limiter is
// pure apart from the clock, which is injectable so tests can move time; with REDIS_URL the app
// uses the shared one in rate-limit-redis.ts, which counts the hits of every node together.

export interface RateLimitRule {
	/** How many hits a key may make per window. */
	limit: number;
	windowMs: number;
}

/** What the app's actions use: asynchronous, so the count may live in Redis. */
export interface RateLimiter {
	/** Counts one hit for `key`; false when the key is over its limit for this window (the hit is refused). */
	take(key: string): Promise<boolean>;
	/** Forgets a key (e.g. after a successful sign-in). */
	reset(key: string): Promise<void>;
}

/** The in-process limiter (synchronous). */
export interface LocalRateLimiter {
	take(key: string): boolean;
	reset(key: string): void;
	/** Number of keys currently tracked (tests, and to bound memory). */
	readonly size: number;
}

/** A fixed-window limiter: at most `limit` hits per key in each window of `windowMs`. */
export function createRateLimiter(rule: RateLimitRule, now: () => number = Date.now): LocalRateLimiter {
	const windows = new Map<string, { start: number; count: number }>();
	let lastSweep = now();

	function sweep(t: number) {
		// expired windows are dropped at most once per window, so memory stays bounded by recent keys
		if (t - lastSweep < rule.windowMs) return;
		lastSweep = t;
		for (const [key, w] of windows) if (t - w.start >= rule.windowMs) windows.delete(key);
	}

	return {
		take(key) {
			const t = now();
			sweep(t);
			const w = windows.get(key);
			if (!w || t - w.start >= rule.windowMs) {
				windows.set(key, { start: t, count: 1 });
				return rule.limit >= 1;
			}
			if (w.count >= rule.limit) return false;
			w.count++;
			return true;
		},
		reset(key) {
			windows.delete(key);
		},
		get size() {
			return windows.size;
		}
	};
}

const MINUTE = 60_000;

/** The limits Parley applies; one limiter per rule, shared by every request in this process. */
export const RateLimits = {
	signInPerIp: { limit: 60, windowMs: 15 * MINUTE },
	signInPerEmail: { limit: 5, windowMs: 15 * MINUTE },
	signUpPerIp: { limit: 10, windowMs: 60 * MINUTE },
	mailPerIp: { limit: 10, windowMs: 15 * MINUTE },
	mailPerRecipient: { limit: 3, windowMs: 15 * MINUTE },
	guestInvitePerInviter: { limit: 20, windowMs: 60 * MINUTE },
	guestInvitePerRecipient: { limit: 5, windowMs: 60 * MINUTE },
	// every GET and POST of an invitation link counts: a token guesser runs out long before a hit
	invitationTokenPerIp: { limit: 30, windowMs: 15 * MINUTE },
	// replies and new emails a member sends from the team's address: a stolen session cannot spam from it
	outgoingMailPerUser: { limit: 100, windowMs: 60 * MINUTE }
} as const satisfies Record<string, RateLimitRule>;
export type RateLimits = typeof RateLimits;

export type Limiters = { [K in keyof RateLimits]: RateLimiter };

/** The in-process limiter behind the asynchronous interface. */
export function asyncLimiter(local: LocalRateLimiter): RateLimiter {
	return {
		take: async (key) => local.take(key),
		reset: async (key) => local.reset(key)
	};
}

/** One in-process limiter per rule of `RateLimits` (the app holds one set, shared by every request). */
export function createLimiters(): Limiters {
	return Object.fromEntries(Object.entries(RateLimits).map(([name, rule]) => [name, asyncLimiter(createRateLimiter(rule))])) as Limiters;
}

/** What a member over `outgoingMailPerUser` is told (status 429). */
export const TOO_MANY_MAILS = 'You have sent a lot of email in the last hour. Wait a while before sending more.';

/** The message every rate-limited action answers with (status 429). */
export const TOO_MANY = 'Too many attempts. Wait a few minutes and try again.';
