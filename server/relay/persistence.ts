// Storing accepted writes and folding a room's log into its snapshot: the group-commit queue and
// the compaction policy (when a log is long, large and quiet enough to be worth rewriting).
import type { DocStorage } from './doc-store.ts';
import type { Room } from './room.ts';
import { WriteQueue } from './write-queue.ts';

export interface CompactionLimits {
	compactAfterRows: number;
	compactQuietMs: number;
}

export class Persistence {
	readonly queue: WriteQueue;
	#store: DocStorage;
	#limits: CompactionLimits;
	#log: (message: string) => void;
	#onCommitted: ((doc: string, update: Uint8Array, id?: number) => void) | undefined;

	/**
	 * `limits` is read at each decision, so a change to the relay's limits applies at once.
	 * `onCommitted` hears of every stored update, a client's or the server's (RelayOptions.onCommitted).
	 */
	/** `withIds`: commits report each row's log id (several nodes publish it; one node needs no ids). */
	constructor(
		store: DocStorage,
		limits: CompactionLimits,
		log: (message: string) => void,
		onCommitted?: (doc: string, update: Uint8Array, id?: number) => void,
		withIds = false
	) {
		this.#store = store;
		this.#limits = limits;
		this.#log = log;
		this.#onCommitted = onCommitted;
		this.queue = new WriteQueue(store, (error) => log(`storing updates failed, will retry: ${String(error)}`), withIds);
	}

	/**
	 * Queues an accepted update; `onCommit` runs once it is stored (with its log id when the store
	 * returns ids), `onFail` if this node lost the document before it could be (several nodes).
	 */
	persist(
		room: Room,
		update: Uint8Array,
		userId: string,
		newBindings: Array<[number, string]>,
		onCommit: (id?: number) => void,
		onFail?: (error: unknown) => void
	): void {
		room.queued();
		const fail = (error: unknown) => {
			room.unqueued();
			onFail?.(error);
		};
		this.queue.push({ doc: room.name, update, userId, newBindings }, (id) => {
			room.stored(update.byteLength);
			try {
				this.#onCommitted?.(room.name, update, id);
			} catch (error) {
				this.#log(`onCommitted failed for ${room.name}: ${String(error)}`);
			}
			onCommit(id);
			this.compactWhenQuiet(room);
		}, fail);
	}

	/**
	 * Compacts once the log is both long and as large as the snapshot (rewriting the snapshot every
	 * N rows would cost O(document) per N writes, quadratic as a conversation grows), and the room
	 * has been quiet for compactQuietMs, unless the log has grown far past that.
	 */
	compactWhenQuiet(room: Room): void {
		const { compactAfterRows, compactQuietMs } = this.#limits;
		if (room.compacting || room.logRows < compactAfterRows || room.logBytes < room.snapshotBytes) return;
		const overdue = room.logRows >= 16 * compactAfterRows && room.logBytes >= 2 * room.snapshotBytes;
		const quietFor = Date.now() - room.lastActive;
		if (!overdue && quietFor < compactQuietMs) {
			room.compactTimer ??= setTimeout(() => {
				room.compactTimer = null;
				this.compactWhenQuiet(room);
			}, compactQuietMs - quietFor);
			room.compactTimer.unref();
			return;
		}
		this.startCompaction(room);
	}

	/** A room loaded from a long log: the merge was just paid for, so store it as the snapshot. */
	compactLoaded(room: Room): void {
		if (room.logRows < this.#limits.compactAfterRows) return;
		room.countAllAsLog();
		this.startCompaction(room);
	}

	/** Compaction is housekeeping: a failure leaves the log as it is, to be folded next time. */
	startCompaction(room: Room): void {
		room.compacting = true;
		this.compact(room)
			.catch((error) => this.#log(`compacting ${room.name} failed: ${String(error)}`))
			.finally(() => (room.compacting = false));
	}

	async compact(room: Room): Promise<void> {
		// a replica's state may lag the store: only the owner folds the log (several nodes)
		if (room.logRows === 0 || room.replica) return;
		const upTo = await this.#store.lastLogId(room.name);
		// read the state after the id: every row up to it was accepted, so it is in the state
		const rows = room.logRows;
		const bytes = room.logBytes;
		const state = await room.stateAsync();
		await this.#store.compact(room.name, state, upTo);
		room.compacted(rows, bytes, state.byteLength);
	}
}
