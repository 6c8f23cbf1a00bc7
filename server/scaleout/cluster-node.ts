// One node of several serving the same documents (docs/ARCHITECTURE.md, "Several nodes"): the
// relay's rooms (server/relay/cluster.ts) over ownership.ts (who commits), forward.ts (writes of
// other nodes' clients), doc-stream.ts (committed updates to every node) and a presence channel.
import { Redis } from 'ioredis';
import type { ClusterHost, ClusterNode, ClusterVerdict, ClusterWrite } from '../relay/cluster.ts';
import type { ClaimStore, DocStorage } from '../relay/doc-store.ts';
import { DocPublisher, DocReplica } from './doc-stream.ts';
import { Forwarder } from './forward.ts';
import { Ownership } from './ownership.ts';

export const presenceChannel = 'parley:presence';

export interface ClusterNodeOptions {
	nodeId: string;
	redisUrl: string;
	/** How long a lease lasts without renewal: an owner that died is replaced after about this long. */
	leaseMs?: number;
	/** One forward's wait for the owner's answer. */
	forwardTimeoutMs?: number;
	/** How long a write keeps being retried through a takeover before its client is told to resend it. */
	retryForMs?: number;
	log?: (message: string) => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class RedisClusterNode implements ClusterNode {
	readonly nodeId: string;
	#o: Required<Omit<ClusterNodeOptions, 'log'>>;
	#log: (message: string) => void;
	#redis: Redis;
	#subscriber: Redis;
	#host: ClusterHost | null = null;
	#store: (DocStorage & ClaimStore) | null = null;
	#ownership: Ownership | null = null;
	#forwarder: Forwarder | null = null;
	#publisher: DocPublisher;
	#followers = new Map<string, DocReplica>();
	/** Takeovers in progress, so concurrent writes of one room promote it once. */
	#promoting = new Map<string, Promise<boolean>>();
	/** Publishes in commit order, one document's after another's (XADD order is the stream's order). */
	#publishing: Promise<void> = Promise.resolve();
	#stopped = false;

	constructor(options: ClusterNodeOptions) {
		this.nodeId = options.nodeId;
		this.#o = { leaseMs: 3000, forwardTimeoutMs: 1500, retryForMs: 15_000, ...options } as Required<Omit<ClusterNodeOptions, 'log'>>;
		this.#log = options.log ?? ((message) => console.log(`[cluster] ${message}`));
		this.#redis = this.#connect({ maxRetriesPerRequest: 1 });
		this.#subscriber = this.#connect({});
		this.#publisher = new DocPublisher(this.#redis);
	}

	#connect(options: { maxRetriesPerRequest?: number }): Redis {
		const redis = new Redis(this.#o.redisUrl, options);
		let last = '';
		redis.on('error', (error: Error) => {
			if (error.message !== last) this.#log(`redis: ${error.message}`);
			last = error.message;
		});
		return redis;
	}

	bind(host: ClusterHost, store: DocStorage): void {
		if (!('claim' in store)) throw new Error('several nodes need a store that fences appends (claim)');
		this.#host = host;
		this.#store = store as DocStorage & ClaimStore;
		this.#ownership = new Ownership({
			redis: this.#redis,
			store: this.#store,
			nodeId: this.nodeId,
			leaseMs: this.#o.leaseMs,
			onLost: (doc) => this.#lost(doc)
		});
		this.#forwarder = new Forwarder({
			nodeId: this.nodeId,
			redis: this.#redis,
			subscriber: this.#subscriber,
			timeoutMs: this.#o.forwardTimeoutMs,
			handle: (write) => host.handleForwarded(write as ClusterWrite)
		});
	}

	/** Listens for forwarded writes and presence; resolves once it does. */
	async start(): Promise<void> {
		await this.#forwarder!.start();
		this.#subscriber.on('message', (channel: string, message: string) => {
			if (channel === presenceChannel) this.#receivePresence(message);
		});
		await this.#subscriber.subscribe(presenceChannel);
	}

	tokenOf(doc: string): number | undefined {
		return this.#ownership?.tokenOf(doc);
	}

	async claimOnLoad(doc: string): Promise<boolean> {
		const token = await this.#ownership!.acquire(doc);
		if (token === null) return false;
		// after the claim: no other node can commit to it any more
		this.#publisher.setLast(doc, await this.#store!.lastLogId(doc));
		return true;
	}

	async attach(doc: string, owner: boolean): Promise<void> {
		if (!owner) await this.#follow(doc);
	}

	async detach(doc: string): Promise<void> {
		await this.#unfollow(doc);
		await this.#ownership!.release(doc);
	}

	async #follow(doc: string): Promise<void> {
		if (this.#followers.has(doc) || this.#stopped) return;
		const replica = new DocReplica({
			redis: this.#connect({}),
			store: this.#store!,
			doc,
			apply: (update) => this.#host!.applyRemote(doc, update)
		});
		this.#followers.set(doc, replica);
		await replica.start();
	}

	async #unfollow(doc: string): Promise<void> {
		const replica = this.#followers.get(doc);
		if (!replica) return;
		this.#followers.delete(doc);
		await replica.stop();
	}

	async forward(write: ClusterWrite): Promise<ClusterVerdict | { kind: 'owner' }> {
		const deadline = Date.now() + this.#o.retryForMs;
		while (Date.now() < deadline && !this.#stopped) {
			if (this.tokenOf(write.doc) !== undefined && !this.#promoting.has(write.doc)) return { kind: 'owner' };
			let owner: string | null;
			try {
				owner = await this.#ownership!.ownerOf(write.doc);
			} catch {
				await sleep(200); // Redis unreachable: nothing can be committed anywhere, wait
				continue;
			}
			if (owner === null) {
				// the owner released it or died and its lease ran out: take it over
				if (await this.#takeOver(write.doc)) return { kind: 'owner' };
				continue;
			}
			if (owner === this.nodeId) {
				// our own lease from before a pause: it runs out by itself
				await sleep(100);
				continue;
			}
			const result = await this.#forwarder!.forward(owner, write);
			if (result.kind === 'ack') return result;
			// moved: it is not the owner (any more); store-failed: it could not commit; timeout: gone or stalled
			if (result.kind === 'nack' && result.reason !== 'moved' && result.reason !== 'store-failed') return result;
			await sleep(50);
		}
		return { kind: 'nack', reason: 'server-error', message: 'The server could not store this change in time; send it again' };
	}

	#takeOver(doc: string): Promise<boolean> {
		let promoting = this.#promoting.get(doc);
		if (!promoting) {
			promoting = (async () => {
				try {
					if ((await this.#ownership!.acquire(doc)) === null) return false;
					await this.#unfollow(doc);
					// loaded after the claim: every row the previous owner committed is in it
					const upTo = await this.#store!.lastLogId(doc);
					await this.#host!.promote(doc);
					this.#publisher.setLast(doc, upTo);
					this.#log(`took over ${doc}`);
					return true;
				} catch (error) {
					this.#log(`taking over ${doc} failed: ${String(error)}`);
					return false;
				}
			})().finally(() => this.#promoting.delete(doc));
			this.#promoting.set(doc, promoting);
		}
		return promoting;
	}

	#lost(doc: string): void {
		if (this.#stopped) return;
		this.#log(`lost ${doc}: following its new owner`);
		this.#host!.demote(doc);
		void this.#follow(doc).catch((error) => this.#log(`following ${doc} failed: ${String(error)}`));
	}

	published(doc: string, id: number, update: Uint8Array): void {
		// chained: XADDs leave in commit order even when one waits on a reconnect
		this.#publishing = this.#publishing
			.then(() => this.#publisher.publish(doc, id, update))
			.catch((error) => this.#log(`publishing ${doc} failed (followers refill from the store): ${String(error)}`));
	}

	presence(doc: string, data: Uint8Array): void {
		const message = JSON.stringify({ from: this.nodeId, doc, data: Buffer.from(data).toString('base64') });
		this.#redis.publish(presenceChannel, message).catch(() => {}); // presence is best effort
	}

	#receivePresence(message: string): void {
		let wire: { from?: unknown; doc?: unknown; data?: unknown };
		try {
			wire = JSON.parse(message);
		} catch {
			return;
		}
		if (typeof wire.from !== 'string' || typeof wire.doc !== 'string' || typeof wire.data !== 'string') return;
		if (wire.from === this.nodeId) return;
		this.#host?.remotePresence(wire.doc, wire.from, new Uint8Array(Buffer.from(wire.data, 'base64')));
	}

	async stop(): Promise<void> {
		if (this.#stopped) return;
		this.#stopped = true;
		await this.#publishing;
		await Promise.all([...this.#followers.keys()].map((doc) => this.#unfollow(doc)));
		// released, not left to expire: another node takes over at once
		const owned = this.#ownership ? [...this.#ownedDocs()] : [];
		await Promise.all(owned.map((doc) => this.#ownership!.release(doc).catch(() => {})));
		this.#ownership?.stop();
		await this.#forwarder?.stop();
		this.#redis.disconnect();
	}

	*#ownedDocs(): Iterable<string> {
		yield* this.#ownership!.heldDocs();
	}
}
