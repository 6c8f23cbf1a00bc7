// The loaded rooms: loading a document (and what validating it needs) on demand, once, and
// unloading rooms nobody has used for a while.
import { orgDoc, parseDocName, OrgLane, type DocRef } from '../../src/lib/shared/doc-names.ts';
import type { AccessResolver } from './access.ts';
import type { ClusterNode } from './cluster.ts';
import type { DocStorage } from './doc-store.ts';
import type { Merger } from './merger.ts';
import type { Persistence } from './persistence.ts';
import { Room } from './room.ts';

export class Rooms {
	#rooms = new Map<string, Room>();
	#loading = new Map<string, Promise<Room>>();
	#store: DocStorage;
	#access: AccessResolver;
	#merger: Merger;
	#persistence: Persistence;
	#log: (message: string) => void;
	#cluster: ClusterNode | null;
	/** Documents whose unload is telling the cluster (a reopen waits for it: hocuspocus#971). */
	#unloading = new Map<string, Promise<void>>();

	constructor(
		store: DocStorage,
		access: AccessResolver,
		merger: Merger,
		persistence: Persistence,
		log: (message: string) => void,
		cluster: ClusterNode | null = null
	) {
		this.#cluster = cluster;
		this.#store = store;
		this.#access = access;
		this.#merger = merger;
		this.#persistence = persistence;
		this.#log = log;
	}

	/** The room if it is loaded now. */
	get(doc: string): Room | undefined {
		return this.#rooms.get(doc);
	}

	/** The room if it is loaded or being loaded. */
	async loadedOrLoading(doc: string): Promise<Room | undefined> {
		return this.#rooms.get(doc) ?? (await this.#loading.get(doc));
	}

	values(): IterableIterator<Room> {
		return this.#rooms.values();
	}

	get size(): number {
		return this.#rooms.size;
	}

	/**
	 * The loaded room for a document, loading it on demand. `orgId` is the organization from the
	 * opener's grant; null when the server opens it for its own edits.
	 */
	async open(doc: string, ref: DocRef, orgId: string | null): Promise<Room> {
		const loaded = this.#rooms.get(doc);
		if (loaded) return loaded;
		let loading = this.#loading.get(doc);
		if (!loading) {
			const unloading = this.#unloading.get(doc);
			loading = (unloading ? unloading.then(() => this.#load(doc, ref, orgId)) : this.#load(doc, ref, orgId)).finally(() => this.#loading.delete(doc));
			this.#loading.set(doc, loading);
		}
		return loading;
	}

	async #load(doc: string, ref: DocRef, orgId: string | null): Promise<Room> {
		// several nodes: claim before loading, so the load sees every row an earlier owner committed
		const owner = this.#cluster ? await this.#cluster.claimOnLoad(doc) : true;
		const stored = await this.#store.load(doc);
		const room = new Room(doc, ref, stored.state, stored.bindings, stored.logRows, this.#merger);
		room.replica = !owner;
		// a room loaded for the server's own edits has no subscriber's grant to take the org from,
		// yet validating later client writes to `internal` needs the org's members and labels
		if (!orgId && ref.scope === 'conversation') orgId = await this.#access.conversationOrgId(ref.id);
		if (!orgId && ref.scope === 'org') orgId = ref.id;
		room.orgId = orgId;
		if (ref.scope === 'conversation' && ref.lane === 'internal' && orgId) {
			room.members = await this.#access.orgMemberIds(orgId);
			const labelsDoc = orgDoc(orgId, OrgLane.Labels);
			room.labels = await this.open(labelsDoc, parseDocName(labelsDoc)!, null);
			room.labels.pins++;
		}
		this.#rooms.set(doc, room);
		// in the map first: what the stream brings from here on finds the room
		if (this.#cluster) await this.#cluster.attach(doc, owner);
		this.#persistence.compactLoaded(room);
		return room;
	}

	/** Unloads rooms with no subscriber, pin or unstored write, idle for `idleMs` (compacted first if they changed). */
	async unloadIdle(idleMs: number): Promise<void> {
		const now = Date.now();
		// rooms pinned by others (an org's labels, by its internal rooms) become free only once those
		// unload: go round again while a pass unloads anything
		for (let unloaded = true; unloaded; ) {
			unloaded = false;
			for (const [doc, room] of this.#rooms) {
				if (room.subscribers.size > 0 || room.pins > 0 || room.uncommitted > 0 || room.forwarding > 0) continue;
				if (now - room.lastActive < idleMs) continue;
				try {
					if (room.logRows > 0) await this.#persistence.compact(room);
				} catch (error) {
					this.#log(`compacting ${doc} failed: ${String(error)}`);
					continue;
				}
				if (room.subscribers.size > 0 || room.uncommitted > 0 || room.forwarding > 0 || this.#rooms.get(doc) !== room) continue;
				this.#rooms.delete(doc);
				if (this.#cluster) {
					const done = this.#cluster
						.detach(doc)
						.catch((error) => this.#log(`leaving ${doc} failed: ${String(error)}`))
						.finally(() => this.#unloading.delete(doc));
					this.#unloading.set(doc, done);
				}
				if (room.compactTimer) clearTimeout(room.compactTimer);
				if (room.labels) room.labels.pins--;
				unloaded = true;
			}
		}
	}
}
