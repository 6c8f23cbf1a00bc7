// A document's local writes the server has not acknowledged yet, in the order they were made, and
// which of them went out on the current socket. Ordering matters: a later write by the same Yjs
// client continues an earlier one's clocks, so writes are sent strictly in order.

export interface LocalWrite {
	writeId: number;
	update: Uint8Array;
	/** Durable in the store: only stored writes are sent. */
	stored: boolean;
}

export class PendingWrites {
	#writes: LocalWrite[] = [];
	/** Write ids sent on the current socket. */
	#sent = new Set<number>();

	get length(): number {
		return this.#writes.length;
	}

	/** The writes, oldest first (a copy). */
	list(): LocalWrite[] {
		return [...this.#writes];
	}

	/** Replaces the list with writes read back from the store (all durable). */
	load(writes: Array<{ writeId: number; update: Uint8Array }>): void {
		this.#writes = writes.map((w) => ({ ...w, stored: true }));
	}

	add(write: LocalWrite): void {
		this.#writes.push(write);
	}

	indexOf(writeId: number): number {
		return this.#writes.findIndex((w) => w.writeId === writeId);
	}

	/** Removes and returns the write with this id (acknowledged), if it is still pending. */
	take(writeId: number): LocalWrite | undefined {
		const i = this.indexOf(writeId);
		if (i < 0) return undefined;
		this.#sent.delete(writeId);
		return this.#writes.splice(i, 1)[0];
	}

	/** Removes the given writes. */
	remove(writes: LocalWrite[]): void {
		const drop = new Set(writes);
		this.#writes = this.#writes.filter((w) => !drop.has(w));
		for (const w of writes) this.#sent.delete(w.writeId);
	}

	/** Stored writes not yet sent on this socket, in order, stopping before the first unstored one. */
	unsent(): LocalWrite[] {
		const out: LocalWrite[] = [];
		for (const w of this.#writes) {
			if (!w.stored) break; // keep order: a later write never overtakes an unstored earlier one
			if (!this.#sent.has(w.writeId)) out.push(w);
		}
		return out;
	}

	markSent(writeId: number): void {
		this.#sent.add(writeId);
	}

	/** The write will be sent again (the server could not take it for now). */
	markUnsent(writeId: number): void {
		this.#sent.delete(writeId);
	}

	isSent(writeId: number): boolean {
		return this.#sent.has(writeId);
	}

	/** The socket closed: nothing is in flight any more, everything is sent again on the next one. */
	clearSent(): void {
		this.#sent.clear();
	}
}
