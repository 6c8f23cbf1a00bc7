// Group commit: every accepted update waits here until the transaction that stores it has
// committed; only then is its sender acknowledged (DESIGN.md §5). One transaction is in flight at
// a time, and it takes everything that queued up meanwhile, so the cost of a commit is shared.
import { FencedOut, type DocStorage, type PendingRow } from './doc-store.ts';

interface Entry {
	row: PendingRow | null; // null: an acknowledgement that only has to wait for the rows queued before it
	/** With the row's log id when the store returns ids (several nodes publish it). */
	onCommit: (id?: number) => void;
	/** The row can never be stored by this node (it lost the document: FencedOut); nothing was stored. */
	onFail?: (error: unknown) => void;
}

export class WriteQueue {
	#store: DocStorage;
	#queue: Entry[] = [];
	#inFlight: Promise<void> | null = null;
	#scheduled = false;
	#retryMs = 50;
	#closed = false;
	/** The next transaction does not start before this (performance.now()): see #flush. */
	#nextAt = 0;
	#onError: (error: unknown) => void;
	#withIds: boolean;

	constructor(store: DocStorage, onError: (error: unknown) => void, withIds = false) {
		this.#withIds = withIds;
		this.#store = store;
		this.#onError = onError;
	}

	/** Queues a row; `onCommit` runs once it is durably stored. */
	push(row: PendingRow | null, onCommit: (id?: number) => void, onFail?: (error: unknown) => void): void {
		this.#queue.push({ row, onCommit, onFail });
		this.#schedule();
	}

	/** Rows waiting or being written. */
	get size(): number {
		return this.#queue.length;
	}

	#schedule(): void {
		if (this.#scheduled || this.#inFlight || this.#closed) return;
		this.#scheduled = true;
		const start = () => {
			this.#scheduled = false;
			this.#inFlight = this.#flush().finally(() => {
				this.#inFlight = null;
				if (this.#queue.length > 0) this.#schedule();
			});
		};
		const wait = this.#nextAt - performance.now();
		if (wait <= 0) setImmediate(start);
		else setTimeout(start, wait);
	}

	async #flush(): Promise<void> {
		const batch = this.#queue;
		this.#queue = [];
		if (batch.length === 0) return;
		const rows = batch.flatMap((entry) => (entry.row ? [entry.row] : []));
		const began = performance.now();
		let ids: number[] | undefined;
		try {
			if (this.#withIds && this.#store.appendReturningIds) ids = await this.#store.appendReturningIds(rows);
			else await this.#store.append(rows);
			// The local driver commits on the event loop: after a commit that took t ms, the next waits
			// t ms, so storing takes at most about half the loop and a slow commit (a WAL checkpoint)
			// makes the next transaction larger rather than the relay slower. Acks wait; fan-out does not.
			const now = performance.now();
			this.#nextAt = now + (now - began);
		} catch (error) {
			if (error instanceof FencedOut) {
				// another node claimed these documents: their rows can never be stored here, the rest can
				const lost = new Set(error.docs);
				const kept = batch.filter((entry) => !entry.row || !lost.has(entry.row.doc));
				for (const entry of batch) if (entry.row && lost.has(entry.row.doc)) entry.onFail?.(error);
				this.#queue = kept.concat(this.#queue);
				return;
			}
			// Nothing was acknowledged: put the batch back in front and retry; the senders keep
			// their writes pending until then, so nothing is lost.
			this.#onError(error);
			this.#queue = batch.concat(this.#queue);
			await new Promise((resolve) => setTimeout(resolve, this.#retryMs));
			this.#retryMs = Math.min(this.#retryMs * 2, 2000);
			return;
		}
		this.#retryMs = 50;
		let i = 0;
		for (const entry of batch) entry.onCommit(entry.row && ids ? ids[i++] : undefined);
	}

	/** Resolves when everything queued so far is stored. */
	async drain(): Promise<void> {
		while (this.#queue.length > 0 || this.#inFlight || this.#scheduled) {
			if (this.#inFlight) await this.#inFlight;
			else await new Promise((resolve) => setImmediate(resolve));
		}
	}

	/** Stops scheduling new transactions (shutdown). */
	close(): void {
		this.#closed = true;
	}
}
