// Reactive records (DESIGN.md §2, §6): a root Y.Map of plain JSON records, as `$state`.
// Thin on purpose: Yjs and the provider hold the data; this keeps a sorted snapshot of it and
// rebinds when the provider replaces the document after a refused write.
import type * as Y from 'yjs';
import type { SyncProvider } from './provider.ts';

/** A Y.Map of JSON records in a provider's document, as a sorted `$state` array plus lookups by key. */
export class RecordMap<T extends object> {
	#all = $state.raw<T[]>([]);
	#byKey = $state.raw<ReadonlyMap<string, T>>(new Map());
	#pending = $state.raw<ReadonlySet<string>>(new Set());
	#loaded = $state(false);
	#provider: SyncProvider;
	#doc: string;
	#root: string;
	#sortBy: keyof T;
	#map: Y.Map<T> | null = null;
	#offs: Array<() => void> = [];
	#observer = () => this.#refresh();

	/** Opens `doc` on the provider (reference counted) and mirrors its root map `root`, sorted by `sortBy`. */
	constructor(provider: SyncProvider, doc: string, root: string, sortBy: keyof T) {
		this.#provider = provider;
		this.#doc = doc;
		this.#root = root;
		this.#sortBy = sortBy;
		this.#bind(provider.open(doc));
		this.#offs.push(
			provider.on('doc-reset', (e) => e.doc === doc && this.#bind(e.ydoc)),
			provider.on('revoked', (e) => e.doc === doc && this.#bind(null)),
			// every change to the pending writes (a local write, an ack, a refusal) is a status event
			provider.on('status', () => this.#refreshPending())
		);
		this.#refreshPending();
	}

	/** Whether the records this device had stored are in (the provider emits a status once a local copy has loaded). */
	get loaded(): boolean {
		return this.#loaded;
	}

	/** Every record, sorted by the key given at construction. */
	get all(): T[] {
		return this.#all;
	}

	/** The record stored under `key` (for chat, `<userId>:<id>`). */
	get(key: string): T | undefined {
		return this.#byKey.get(key);
	}

	/** Whether a local change to the record under `key` still waits for the server's acknowledgement. */
	isPending(key: string): boolean {
		return this.#pending.has(key);
	}

	set(key: string, value: T): void {
		if (!this.#map) throw new Error(`${this.#doc} is not available`);
		this.#map.set(key, value);
	}

	delete(key: string): void {
		this.#map?.delete(key);
	}

	destroy(): void {
		for (const off of this.#offs) off();
		this.#bind(null);
		this.#provider.close(this.#doc);
	}

	#bind(ydoc: Y.Doc | null): void {
		this.#map?.unobserve(this.#observer);
		this.#map = ydoc ? ydoc.getMap<T>(this.#root) : null;
		this.#map?.observe(this.#observer);
		this.#refresh();
	}

	#refreshPending(): void {
		if (!this.#loaded && this.#provider.isLoaded(this.#doc)) this.#loaded = true;
		const next = this.#provider.pendingKeys(this.#doc, this.#root);
		const same = next.size === this.#pending.size && [...next].every((k) => this.#pending.has(k));
		if (!same) this.#pending = next;
	}

	#refresh(): void {
		const byKey = new Map<string, T>();
		this.#map?.forEach((value, key) => byKey.set(key, value));
		const key = this.#sortBy;
		this.#all = [...byKey.values()].sort((a, b) => (a[key] < b[key] ? -1 : a[key] > b[key] ? 1 : 0));
		this.#byKey = byKey;
	}
}
