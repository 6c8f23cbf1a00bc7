// Which node owns which document (docs/ARCHITECTURE.md, "Ownership"): a Redis lease elects the
// node that may claim, the claim's token in PostgreSQL decides who may commit. Losing the lease
// only stops this node from trying; the fence in the store is what makes a stale owner harmless.
import type { Redis } from 'ioredis';
import type { ClaimStore } from '../relay/doc-store.ts';

const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export const leaseKey = (doc: string) => `parley:lease:${doc}`;

interface Held {
	token: number;
	/** Date.now() after which the lease may have expired in Redis (last confirmed renewal + ttl). */
	validUntil: number;
	timer: ReturnType<typeof setInterval>;
}

export interface OwnershipOptions {
	redis: Redis;
	store: ClaimStore;
	nodeId: string;
	leaseMs: number;
	/** Called once when this node stops owning a document it held (renewal refused or timed out). */
	onLost?: (doc: string) => void;
}

export class Ownership {
	#o: OwnershipOptions;
	#held = new Map<string, Held>();

	constructor(options: OwnershipOptions) {
		if (!(options.leaseMs >= 300)) throw new Error('leaseMs must be at least 300');
		this.#o = options;
	}

	get nodeId(): string {
		return this.#o.nodeId;
	}

	/** Takes a free document: its fencing token, or null when another node holds the lease. */
	async acquire(doc: string): Promise<number | null> {
		const existing = this.tokenOf(doc);
		if (existing !== undefined) return existing;
		const started = Date.now();
		const ok = await this.#o.redis.set(leaseKey(doc), this.#o.nodeId, 'PX', this.#o.leaseMs, 'NX');
		if (ok !== 'OK') return null;
		const token = await this.#o.store.claim(doc, this.#o.nodeId);
		const timer = setInterval(() => void this.#renew(doc), Math.floor(this.#o.leaseMs / 3));
		timer.unref?.();
		this.#held.set(doc, { token, validUntil: started + this.#o.leaseMs, timer });
		return token;
	}

	/** The node id holding a document's lease, or null. */
	async ownerOf(doc: string): Promise<string | null> {
		return this.#o.redis.get(leaseKey(doc));
	}

	/**
	 * The token to fence appends with, while this node believes it holds the lease (a node
	 * resumed after a pause sees its deadline passed and stops before the store must refuse it).
	 */
	tokenOf(doc: string): number | undefined {
		const held = this.#held.get(doc);
		if (!held) return undefined;
		if (Date.now() > held.validUntil) {
			this.#lose(doc);
			return undefined;
		}
		return held.token;
	}

	/** Gives a document up (its room closed): the lease is deleted only if still ours. */
	async release(doc: string): Promise<void> {
		const held = this.#held.get(doc);
		if (!held) return;
		clearInterval(held.timer);
		this.#held.delete(doc);
		await this.#o.redis.eval(RELEASE, 1, leaseKey(doc), this.#o.nodeId);
	}

	/** The documents this node holds now. */
	heldDocs(): string[] {
		return [...this.#held.keys()];
	}

	/** Stops renewing everything without releasing (a shutdown: leases expire by themselves). */
	stop(): void {
		for (const held of this.#held.values()) clearInterval(held.timer);
		this.#held.clear();
	}

	async #renew(doc: string): Promise<void> {
		const held = this.#held.get(doc);
		if (!held) return;
		const sent = Date.now();
		try {
			const renewed = await this.#o.redis.eval(RENEW, 1, leaseKey(doc), this.#o.nodeId, String(this.#o.leaseMs));
			if (this.#held.get(doc) !== held) return;
			if (Number(renewed) === 1) held.validUntil = sent + this.#o.leaseMs;
			else this.#lose(doc);
		} catch {
			// Redis unreachable: keep the old deadline; tokenOf gives up once it passes
			if (Date.now() > held.validUntil) this.#lose(doc);
		}
	}

	#lose(doc: string): void {
		const held = this.#held.get(doc);
		if (!held) return;
		clearInterval(held.timer);
		this.#held.delete(doc);
		this.#o.onLost?.(doc);
	}
}
