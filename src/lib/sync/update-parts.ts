// A document's state held as a few Yjs updates ("parts") that are merged lazily.
//
// Why: `Y.mergeUpdates` costs time per input byte, so folding every received update into one
// merged state costs O(document) per update (a 1 MB chat: tens of ms per message), and merging
// many updates in one call costs superlinearly in their count. Instead the parts are kept
// geometric, oldest and largest first: every part holds at least twice the bytes of the next
// newer one. A new update merges only the newer parts it has caught up with, in one call. So
// - there are at most log2(total bytes) + 1 parts (≤ 32 for anything a browser holds), which also
//   bounds the parts given to one merge call;
// - a part that is swallowed by a merge ends in a part at least 1.5 times its size, so each byte is
//   re-merged O(log n) times over the document's life: O(log n) amortized merge work per byte.
// The whole state is merged only when it is asked for (`merged()`), and then stays merged.
import * as Y from 'yjs';

export type MergeFn = (updates: Uint8Array[]) => Uint8Array;

/** The update of an empty document (what `Y.encodeStateAsUpdate(new Y.Doc())` returns). */
const EMPTY_UPDATE = Y.encodeStateAsUpdate(new Y.Doc());

export class UpdateParts {
	#parts: Uint8Array[] = [];
	#merge: MergeFn;

	/** `merge` is replaceable so tests can count the work done; it must behave like `Y.mergeUpdates`. */
	constructor(merge: MergeFn = Y.mergeUpdates) {
		this.#merge = merge;
	}

	/** How many parts are held (O(log n) by construction). */
	get count(): number {
		return this.#parts.length;
	}

	/** Total bytes over the parts. */
	get byteLength(): number {
		let n = 0;
		for (const p of this.#parts) n += p.byteLength;
		return n;
	}

	/** The part sizes, oldest first (tests check the geometric invariant). */
	get partSizes(): number[] {
		return this.#parts.map((p) => p.byteLength);
	}

	/** Adds an update. The array is kept, not copied: the caller must not change it afterwards. */
	push(update: Uint8Array): void {
		let tail = update;
		for (;;) {
			// the newer parts the tail has caught up with (less than twice its running total)
			let from = this.#parts.length;
			let total = tail.byteLength;
			while (from > 0 && this.#parts[from - 1].byteLength < 2 * total) {
				from--;
				total += this.#parts[from].byteLength;
			}
			if (from === this.#parts.length) {
				this.#parts.push(tail);
				return;
			}
			// a merge is usually no larger than its inputs; if it is, the loop checks again
			tail = this.#merge([...this.#parts.splice(from), tail]);
		}
	}

	/**
	 * Everything pushed, as one update (the empty document's update when nothing was pushed). Merges
	 * all parts into one and keeps that, so asking again is free. The result must not be changed.
	 */
	merged(): Uint8Array {
		if (this.#parts.length === 0) return EMPTY_UPDATE;
		if (this.#parts.length > 1) this.#parts = [this.#merge(this.#parts)];
		return this.#parts[0];
	}
}
