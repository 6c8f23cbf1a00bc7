// The bus between nodes for one document's committed updates (docs/ARCHITECTURE.md, "Bus"):
// the owner appends `{id, prev, update}` to a Redis stream after each commit; every other node
// applies them in order and, when `prev` is not the last id it applied (a publish lost with a
// dying owner, a trimmed stream, a node that fell behind), refills the whole document from the
// store before applying anything more. Only committed updates travel: never a sync reply, whose
// delete set would remove content on a replica that lacks the structs (hocuspocus#1151).
import type { Redis } from 'ioredis';
import type { DocStorage } from '../relay/doc-store.ts';

export const streamKey = (doc: string) => `parley:doc:${doc}`;
/** Entries kept per document stream; the store is the truth, a replica further behind refills. */
const MAX_LEN = 1000;

/** Owner side: publishes committed log rows in commit order. */
export class DocPublisher {
	#redis: Redis;
	#last = new Map<string, number>();

	constructor(redis: Redis) {
		this.#redis = redis;
	}

	/** The id the owner loaded the document at (prev of its first publish). */
	setLast(doc: string, id: number): void {
		this.#last.set(doc, id);
	}

	/** Records a commit without publishing it (the owner died between the two, as far as peers see). */
	skip(doc: string, id: number): void {
		this.#last.set(doc, id);
	}

	async publish(doc: string, id: number, update: Uint8Array): Promise<void> {
		const prev = this.#last.get(doc) ?? 0;
		this.#last.set(doc, id);
		await this.#redis.xadd(streamKey(doc), 'MAXLEN', '~', MAX_LEN, '*', 'id', String(id), 'prev', String(prev), 'update', Buffer.from(update));
	}
}

export interface ReplicaOptions {
	/** A connection of its own: XREAD BLOCK holds it. */
	redis: Redis;
	store: DocStorage;
	doc: string;
	/** Applies bytes to the node's copy of the document (a whole state on refill, an update otherwise). */
	apply: (update: Uint8Array, how: 'refill' | 'update') => void;
}

/** Replica side: follows one document's stream from a fresh load. */
export class DocReplica {
	#o: ReplicaOptions;
	#lastId = 0;
	#cursor = '$';
	#running = false;
	#loop: Promise<void> | null = null;
	refills = 0;

	constructor(options: ReplicaOptions) {
		this.#o = options;
	}

	get lastId(): number {
		return this.#lastId;
	}

	/** Loads the document, then follows the stream; resolves once following. */
	async start(): Promise<void> {
		// the stream position first, then the store: every entry after the position is either in
		// the loaded state or read next (applying one twice is harmless in Yjs)
		const tail = await this.#o.redis.xrevrange(streamKey(this.#o.doc), '+', '-', 'COUNT', 1);
		this.#cursor = tail[0]?.[0] ?? '0-0';
		await this.#refill();
		this.#running = true;
		this.#loop = this.#follow();
	}

	async stop(): Promise<void> {
		this.#running = false;
		this.#o.redis.disconnect();
		await this.#loop?.catch(() => {});
	}

	async #refill(): Promise<void> {
		// the id before the state: rows committed between the two are in the state and re-read later
		const upTo = await this.#o.store.lastLogId(this.#o.doc);
		const { state } = await this.#o.store.load(this.#o.doc);
		this.#o.apply(state, 'refill');
		this.#lastId = Math.max(this.#lastId, upTo);
		this.refills++;
	}

	async #follow(): Promise<void> {
		while (this.#running) {
			let reply: Array<[string, Array<[string, Buffer[]]>]> | null;
			try {
				reply = (await this.#o.redis.xreadBuffer('BLOCK', 500, 'STREAMS', streamKey(this.#o.doc), this.#cursor)) as unknown as typeof reply;
			} catch {
				if (!this.#running) return;
				await new Promise((r) => setTimeout(r, 100));
				continue;
			}
			for (const [, entries] of reply ?? []) {
				for (const [entryId, fields] of entries) {
					this.#cursor = entryId.toString();
					const f = new Map<string, Buffer>();
					for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i].toString(), fields[i + 1]);
					const id = Number(f.get('id'));
					const prev = Number(f.get('prev'));
					if (id <= this.#lastId) continue; // already in a refilled state
					if (prev !== this.#lastId) {
						await this.#refill();
						if (id <= this.#lastId) continue;
					}
					this.#o.apply(new Uint8Array(f.get('update')!), 'update');
					this.#lastId = id;
				}
			}
		}
	}
}
