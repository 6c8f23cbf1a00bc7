// Writes from a node that does not own a document, carried to the node that does
// (docs/ARCHITECTURE.md, "Bus"). The origin acks its client only on the owner's `ack`, which the
// owner sends after its commit; no answer in time is `timeout`, never an ack: the client keeps
// the write pending and sends it again (a Yjs update applied twice changes nothing).
// Redis pub/sub, not a stream: a request lost with a dying node is answered by that timeout.
import type { Redis } from 'ioredis';

export const forwardChannel = (nodeId: string) => `parley:forward:${nodeId}`;
export const replyChannel = (nodeId: string) => `parley:reply:${nodeId}`;

export interface ForwardedWrite {
	doc: string;
	userId: string;
	/** The writer's display name (the owner's validator names a moderator's removal with it). */
	name?: string;
	update: Uint8Array;
}

export type Verdict = { kind: 'ack' } | { kind: 'nack'; reason: string; message?: string };
export type ForwardResult = Verdict | { kind: 'timeout' };

interface Wire {
	id: string;
	from: string;
	doc: string;
	userId: string;
	name?: string;
	update: string; // base64
}

export interface ForwarderOptions {
	nodeId: string;
	/** For PUBLISH. */
	redis: Redis;
	/** For SUBSCRIBE (a subscribed connection can do nothing else). */
	subscriber: Redis;
	/** Validates and commits a write this node owns; resolves only after the commit. */
	handle: (write: ForwardedWrite) => Promise<Verdict>;
	timeoutMs: number;
}

export class Forwarder {
	#o: ForwarderOptions;
	#seq = 0;
	#waiting = new Map<string, { resolve: (r: ForwardResult) => void; timer: ReturnType<typeof setTimeout> }>();

	constructor(options: ForwarderOptions) {
		this.#o = options;
	}

	async start(): Promise<void> {
		const { subscriber, nodeId } = this.#o;
		subscriber.on('message', (channel: string, message: string) => {
			if (channel === forwardChannel(nodeId)) void this.#answer(message);
			else if (channel === replyChannel(nodeId)) this.#settle(message);
		});
		await subscriber.subscribe(forwardChannel(nodeId), replyChannel(nodeId));
	}

	/** Sends a write to its owner and waits for the verdict, or `timeout`. */
	forward(owner: string, write: ForwardedWrite): Promise<ForwardResult> {
		const id = `${this.#o.nodeId}:${++this.#seq}`;
		const wire: Wire = { id, from: this.#o.nodeId, doc: write.doc, userId: write.userId, name: write.name, update: Buffer.from(write.update).toString('base64') };
		return new Promise<ForwardResult>((resolve) => {
			const timer = setTimeout(() => {
				this.#waiting.delete(id);
				resolve({ kind: 'timeout' });
			}, this.#o.timeoutMs);
			this.#waiting.set(id, { resolve, timer });
			this.#o.redis.publish(forwardChannel(owner), JSON.stringify(wire)).catch(() => {
				// Redis unreachable: the same as no answer, and sooner
				clearTimeout(timer);
				if (this.#waiting.delete(id)) resolve({ kind: 'timeout' });
			});
		});
	}

	async stop(): Promise<void> {
		for (const [, w] of this.#waiting) {
			clearTimeout(w.timer);
			w.resolve({ kind: 'timeout' });
		}
		this.#waiting.clear();
		this.#o.subscriber.disconnect();
	}

	async #answer(message: string): Promise<void> {
		let wire: Wire;
		try {
			wire = JSON.parse(message) as Wire;
		} catch {
			return; // not ours to answer: the origin times out
		}
		let verdict: Verdict;
		try {
			verdict = await this.#o.handle({ doc: wire.doc, userId: wire.userId, name: wire.name, update: new Uint8Array(Buffer.from(wire.update, 'base64')) });
		} catch (error) {
			// a commit that failed (fenced out, database down) was not stored: say so, never ack
			verdict = { kind: 'nack', reason: error instanceof Error && error.name === 'FencedOut' ? 'not-owner' : 'store-failed' };
		}
		await this.#o.redis.publish(replyChannel(wire.from), JSON.stringify({ id: wire.id, verdict })).catch(() => {});
	}

	#settle(message: string): void {
		let reply: { id: string; verdict: Verdict };
		try {
			reply = JSON.parse(message);
		} catch {
			return;
		}
		const waiting = this.#waiting.get(reply.id);
		if (!waiting) return; // late: it already timed out, and a timeout is never turned into an ack
		clearTimeout(waiting.timer);
		this.#waiting.delete(reply.id);
		waiting.resolve(reply.verdict);
	}
}
