// The access bus of a node started with REDIS_URL: two Redis connections (a subscribed connection
// can do nothing but listen) and the relay as the target. Kept apart from app.ts so the embedded
// default (no REDIS_URL) never opens a connection.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Relay } from '../../../server/relay/relay.ts';
import { AccessBus } from '../../../server/scaleout/access-bus.ts';

export interface RunningAccessBus {
	bus: AccessBus;
	/** The publishing connection, also used for the shared rate limits (rate-limit-redis.ts). */
	redis: Redis;
	/** Resolves when Redis answers a PING on the publishing connection; rejects when it cannot. */
	ping(): Promise<void>;
	stop(): Promise<void>;
}

/** Connects, subscribes, and resolves once this node hears access changes; rejects when Redis cannot be reached. */
export async function startAccessBus(redisUrl: string, relay: Relay, log?: (message: string) => void): Promise<RunningAccessBus> {
	const say = log ?? ((message: string) => console.log(`[access-bus] ${message}`));
	// a publish waits for one reconnect at most: an access change that cannot be told fails its action
	const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
	// the subscriber reconnects and re-subscribes by itself (ioredis autoResubscribe)
	const subscriber = new Redis(redisUrl);
	let lastError = '';
	const onError = (error: Error) => {
		// once per distinct error, not once per reconnect attempt
		if (error.message !== lastError) say(`redis: ${error.message}`);
		lastError = error.message;
	};
	redis.on('error', onError);
	subscriber.on('error', onError);
	const bus = new AccessBus({ nodeId: randomUUID(), redis, subscriber, target: relay, log: say });
	try {
		await bus.start();
	} catch (error) {
		redis.disconnect();
		subscriber.disconnect();
		throw new Error(`REDIS_URL: cannot subscribe to access changes (${String(error)})`);
	}
	return {
		bus,
		redis,
		async ping() {
			await redis.ping();
		},
		async stop() {
			// closing the connection ends the subscription; an UNSUBSCRIBE would wait out reconnects when Redis is gone
			redis.disconnect();
			subscriber.disconnect();
		}
	};
}
