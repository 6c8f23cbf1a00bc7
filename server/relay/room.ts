// One document held by the relay: its bytes (not a live Y.Doc), the validator's small index, the
// connections subscribed to it, and their presence.
import type { DocRef } from '../../src/lib/shared/doc-names.ts';
import { SYSTEM_ACTOR, createDocIndex, entryKey, indexUpdate, type DocIndex } from '../../src/lib/shared/write-validator.ts';
import type { Connection } from './connection.ts';
import { mergeMany, type Merger } from './merger.ts';

/** Fold the room's parts once there are this many (see #fold). */
const FOLD_AT_PARTS = 64;

interface PresenceState {
	clock: number;
	state: string;
	conn: Connection;
}

export class Room {
	readonly name: string;
	readonly ref: DocRef;
	readonly subscribers = new Set<Connection>();
	/** Presence by Yjs client id; a client id belongs to the connection that first used it here. */
	readonly presence = new Map<number, PresenceState>();
	/**
	 * Presence stamped by other nodes' sockets (several nodes), by client id, with the node that
	 * holds the socket and when it was last heard of (a dead node never says its clients left).
	 */
	readonly remotePresence = new Map<number, { clock: number; state: string; node: string; heardAt: number }>();
	/** Updates accepted this event-loop turn, to be sent to subscribers as one frame. */
	outgoing: Array<{ update: Uint8Array; from: Connection | null }> = [];
	/** A compaction of this room is running. */
	compacting = false;
	/** A compaction is due and waits for the room to be quiet. */
	compactTimer: NodeJS.Timeout | null = null;
	lastActive = Date.now();
	/** For conversation documents: the organization (label and member lookups). */
	orgId: string | null = null;
	/** For `internal`: ids of the organization's members (assignees must be members). */
	members: Set<string> | null = null;
	/** For `internal`: the organization's label definitions document, kept loaded with this one. */
	labels: Room | null = null;
	/** Rooms that keep this one loaded (an org's labels room while its internal rooms are loaded). */
	pins = 0;
	/**
	 * Several nodes (server/relay/cluster.ts): another node owns this document; this room follows
	 * the owner's stream and forwards its clients' writes. Always false on a single node.
	 */
	replica = false;
	/** Forwarded writes of this room's clients awaiting the owner's answer (never unloaded meanwhile). */
	forwarding = 0;

	/**
	 * The document as parts whose merge is the whole state: older parts are merged runs, newer ones
	 * single accepted updates. Merging is commutative, so parts are replaced by their merge wherever
	 * they sit.
	 */
	#parts: Uint8Array[];
	/**
	 * A merge of this room's parts is running (a fold, or the whole state): merges take turns, so
	 * none discards another's work, and the parts one takes are still there when it finishes (only
	 * appends happen meanwhile).
	 */
	#merging: Promise<void> | null = null;
	#merger: Merger;
	#bindings: Map<number, string>;
	#index: DocIndex | null = null;
	// The counters below change only through the methods that name why (queued, stored, compacted),
	// so compaction and unloading read numbers that agree with each other.
	#logRows: number;
	#logBytes = 0;
	#snapshotBytes = 0;
	#uncommitted = 0;

	constructor(name: string, ref: DocRef, state: Uint8Array, bindings: Map<number, string>, logRows: number, merger: Merger) {
		this.name = name;
		this.ref = ref;
		this.#merger = merger;
		this.#parts = [state];
		this.#snapshotBytes = state.byteLength;
		this.#bindings = bindings;
		this.#logRows = logRows;
	}

	/** Log rows not yet folded into the snapshot. */
	get logRows(): number {
		return this.#logRows;
	}

	/** Bytes of the log rows not yet folded. */
	get logBytes(): number {
		return this.#logBytes;
	}

	/** Bytes of the snapshot the log will be folded into. */
	get snapshotBytes(): number {
		return this.#snapshotBytes;
	}

	/** Writes accepted but not yet committed. */
	get uncommitted(): number {
		return this.#uncommitted;
	}

	/** An accepted write was queued for storage. */
	queued(): void {
		this.#uncommitted++;
	}

	/** A queued write will never be stored by this node (it lost the document). */
	unqueued(): void {
		this.#uncommitted--;
	}

	/**
	 * This node became the document's owner: `stored` was loaded after its claim, so it holds every
	 * committed row. Merged with what the room held; bindings and the index are rebuilt from it.
	 */
	becomeOwner(stored: { state: Uint8Array; bindings: Map<number, string>; logRows: number }): void {
		this.#parts.push(stored.state);
		for (const [client, user] of stored.bindings) this.#bindings.set(client, user);
		this.#index = null;
		this.#logRows = stored.logRows;
		this.#logBytes = 0;
		this.replica = false;
		if (this.#parts.length >= FOLD_AT_PARTS) this.#fold();
	}

	/** A queued write of `bytes` was stored as one log row. */
	stored(bytes: number): void {
		this.#uncommitted--;
		this.#logRows++;
		this.#logBytes += bytes;
	}

	/**
	 * Loaded from a long log: all of the state is log, which makes the size rule of compaction
	 * agree that it is due.
	 */
	countAllAsLog(): void {
		this.#logBytes = this.#snapshotBytes;
	}

	/** `rows` log rows of `bytes` bytes were folded into a snapshot of `snapshotBytes` (rows stored meanwhile stay counted). */
	compacted(rows: number, bytes: number, snapshotBytes: number): void {
		this.#logRows = Math.max(0, this.#logRows - rows);
		this.#logBytes = Math.max(0, this.#logBytes - bytes);
		this.#snapshotBytes = snapshotBytes;
	}

	/** A connection opened this document. */
	join(conn: Connection): void {
		this.subscribers.add(conn);
		this.lastActive = Date.now();
	}

	/** A connection closed this document. */
	leave(conn: Connection): void {
		this.subscribers.delete(conn);
		this.lastActive = Date.now();
	}

	/** The whole document as one update, merged here and now (O(document): prefer stateAsync). */
	state(): Uint8Array {
		if (this.#parts.length > 1) this.#parts = [mergeMany(this.#parts)];
		return this.#parts[0];
	}

	/**
	 * The whole document as one update as of when the merge starts (updates accepted meanwhile stay
	 * as parts), merged off the event loop when it is large.
	 */
	async stateAsync(): Promise<Uint8Array> {
		if (this.#parts.length === 1) return this.#parts[0];
		return this.#exclusive(async () => {
			const taken = this.#parts.slice();
			if (taken.length === 1) return taken[0];
			const state = await this.#merger.merge(taken);
			this.#replace(taken, state);
			return state;
		}).finally(() => this.#foldIfDue());
	}

	/**
	 * What a client holding `stateVector` is missing, as of when the merge starts (updates accepted
	 * later reach it by fan-out). Throws if the state vector cannot be decoded.
	 */
	async missingFor(stateVector: Uint8Array): Promise<Uint8Array> {
		if (stateVector.length <= 1) return this.stateAsync();
		return this.#exclusive(async () => {
			const taken = this.#parts.slice();
			const { state, diff } = await this.#merger.mergeAndDiff(taken, stateVector);
			if (taken.length > 1) this.#replace(taken, state);
			return diff;
		}).finally(() => this.#foldIfDue());
	}

	/** Runs a merge of this room's parts once no other is running. */
	async #exclusive<T>(merge: () => Promise<T>): Promise<T> {
		while (this.#merging) await this.#merging;
		let done!: () => void;
		this.#merging = new Promise((resolve) => (done = resolve));
		try {
			return await merge();
		} finally {
			this.#merging = null;
			done();
		}
	}

	/** After a whole-state merge: a fold asked for while it ran was skipped, so ask again. */
	#foldIfDue(): void {
		if (this.#parts.length >= FOLD_AT_PARTS) this.#fold();
	}

	/** Replaces parts by their merge, unless state() merged everything meanwhile. */
	#replace(taken: Uint8Array[], merged: Uint8Array): void {
		const at = this.#parts.indexOf(taken[0]);
		if (at < 0) return;
		for (let i = 1; i < taken.length; i++) if (this.#parts[at + i] !== taken[i]) return;
		this.#parts.splice(at, taken.length, merged);
	}

	/**
	 * Merges the newest parts into one, with older parts only once what is merged is at least half
	 * as large as they are (a binary counter): each byte is merged O(log n) times, never the whole
	 * document per write. Merging everything at once is quadratic in the number of parts (seconds at 20,000).
	 */
	#fold(): void {
		// a merge is running (a fold, or the whole state): this one is asked for again when it ends
		if (this.#merging) return;
		this.#exclusive(async () => {
			const parts = this.#parts;
			let start = parts.length - 1;
			let bytes = parts[start].byteLength;
			// "no more than twice as large", not "no larger": updates differ by a byte or two, and a
			// strict rule could stop at the newest part and never fold
			while (start > 0 && parts[start - 1].byteLength <= 2 * bytes) bytes += parts[--start].byteLength;
			const taken = parts.slice(start);
			if (taken.length < 2) return false;
			this.#replace(taken, await this.#merger.merge(taken));
			return true;
		})
			// a failed fold changes nothing: the parts stay as they were
			.catch(() => false)
			.then((folded) => {
				if (folded) this.#foldIfDue();
			});
	}

	/** Parts the state is held in now (tests: folding keeps this small). */
	get partCount(): number {
		return this.#parts.length;
	}

	/** The validator's index, built from the bytes on first use (a read-only room never needs it). */
	index(): DocIndex {
		if (!this.#index) {
			// the index and the room share one bindings map: both record the same client → user pairs
			const index = { ...createDocIndex(), bindings: this.#bindings };
			indexUpdate(index, this.state(), SYSTEM_ACTOR);
			this.#index = index;
		}
		return this.#index;
	}

	/**
	 * The document's size as held: its parts' bytes (at least its merged size; a part is never
	 * counted twice). Cheap: folding keeps the parts under FOLD_AT_PARTS.
	 */
	byteSize(): number {
		let bytes = 0;
		for (const part of this.#parts) bytes += part.byteLength;
		return bytes;
	}

	/** Folds an accepted update into the room. */
	accept(update: Uint8Array, actorId: string, newBindings: Array<[number, string]>): void {
		for (const [client, user] of newBindings) this.#bindings.set(client, user);
		if (this.#index) indexUpdate(this.#index, update, actorId);
		// A received update is a view into its frame, whose buffer may be a socket read or an 8 KiB
		// pool slab: kept as is, a 150-byte message could hold kilobytes until the next fold.
		this.#parts.push(update.byteLength === update.buffer.byteLength ? update : update.slice());
		if (this.#parts.length >= FOLD_AT_PARTS) this.#fold();
		this.lastActive = Date.now();
	}

	/** A client id bound to the server's own writes in this document, or a fresh one. */
	serverClientId(): number {
		for (const [client, user] of this.#bindings) if (user === SYSTEM_ACTOR) return client;
		let id: number;
		do id = Math.floor(Math.random() * 0x7fffffff) + 1;
		while (this.#bindings.has(id));
		return id;
	}

	/** Whether the record `key` of the map `root` is live in this document (the validator's index key is built in one place). */
	hasRecord(root: string, key: string): boolean {
		return this.index().current.has(entryKey(root, key));
	}

	/** The user a client id is bound to here (its first writer), if any. */
	boundUser(clientId: number): string | undefined {
		return this.#bindings.get(clientId);
	}

	isBound(clientId: number): boolean {
		return this.#bindings.has(clientId);
	}
}
