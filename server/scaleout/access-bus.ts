// Access changes reach every node (docs/ARCHITECTURE.md, "Several nodes"): the node where a guest
// was removed or a session ended re-decides its own sockets, and tells the others over Redis
// pub/sub, which re-decide theirs from the shared database. Pub/sub, not a stream: a node that
// misses a message (it was down) holds no sockets that could have been affected, and a node cut
// off from Redis answers degraded and is taken out of the load balancer.
import type { Redis } from 'ioredis';
import type { AccessFilter } from '../relay/relay.ts';

export const accessChannel = 'parley:access';

export type AccessMessage =
	| { kind: 'refresh'; filter: AccessFilter }
	| { kind: 'end-sessions'; filter: { sessionId?: string; userId?: string } };

/** What a node re-decides: its relay. */
export interface AccessTarget {
	refreshAccess(filter: AccessFilter): Promise<void>;
	endSessions(filter: { sessionId?: string; userId?: string }): void;
}

export interface AccessBusOptions {
	nodeId: string;
	/** For PUBLISH. */
	redis: Redis;
	/** For SUBSCRIBE (a subscribed connection can do nothing else). */
	subscriber: Redis;
	target: AccessTarget;
	log?: (message: string) => void;
}

const filterKeys = ['userId', 'conversationId', 'orgId', 'sessionId'];

/** The message, or null when it is not one this bus sends (never applied: it could widen a filter). */
export function parseAccessMessage(text: string): { from: string; message: AccessMessage } | null {
	let wire: unknown;
	try {
		wire = JSON.parse(text);
	} catch {
		return null;
	}
	if (typeof wire !== 'object' || wire === null) return null;
	const { from, kind, filter } = wire as Record<string, unknown>;
	if (typeof from !== 'string' || (kind !== 'refresh' && kind !== 'end-sessions')) return null;
	if (typeof filter !== 'object' || filter === null) return null;
	const entries = Object.entries(filter);
	if (entries.some(([key, value]) => !filterKeys.includes(key) || typeof value !== 'string')) return null;
	if (kind === 'end-sessions' && entries.some(([key]) => key !== 'sessionId' && key !== 'userId')) return null;
	// an empty end-sessions filter would match nobody locally (endSessions skips it), but say so here
	if (kind === 'end-sessions' && entries.length === 0) return null;
	if (kind === 'refresh' && entries.some(([key]) => key === 'sessionId')) return null;
	return { from, message: { kind, filter } as AccessMessage };
}

export class AccessBus {
	#o: AccessBusOptions;
	#log: (message: string) => void;

	constructor(options: AccessBusOptions) {
		this.#o = options;
		this.#log = options.log ?? ((message) => console.log(`[access-bus] ${message}`));
	}

	async start(): Promise<void> {
		this.#o.subscriber.on('message', (channel: string, text: string) => {
			if (channel === accessChannel) void this.#receive(text);
		});
		await this.#o.subscriber.subscribe(accessChannel);
	}

	/** Applies the change on this node, then tells the others; resolves once both are done. */
	async apply(message: AccessMessage): Promise<void> {
		await this.#applyLocally(message);
		await this.#o.redis.publish(accessChannel, JSON.stringify({ from: this.#o.nodeId, ...message }));
	}

	async #receive(text: string): Promise<void> {
		const parsed = parseAccessMessage(text);
		if (!parsed) {
			this.#log(`ignored a malformed access message: ${text.slice(0, 200)}`);
			return;
		}
		if (parsed.from === this.#o.nodeId) return; // applied before it was published
		try {
			await this.#applyLocally(parsed.message);
		} catch (error) {
			this.#log(`applying an access change failed: ${String(error)}`);
		}
	}

	async #applyLocally(message: AccessMessage): Promise<void> {
		if (message.kind === 'refresh') await this.#o.target.refreshAccess(message.filter);
		else this.#o.target.endSessions(message.filter);
	}

	async stop(): Promise<void> {
		await this.#o.subscriber.unsubscribe(accessChannel).catch(() => {});
	}
}
