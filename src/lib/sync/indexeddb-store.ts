// The IndexedDB replica store. A document's server state is a snapshot plus an append-only log of
// the updates received or confirmed since: storing an update appends one small row instead of
// reading, merging and rewriting the whole document (O(document) per update). The log is folded
// into the snapshot only once it is long and at least as large as the snapshot, so each fold's
// cost is paid for by the bytes appended since the last one.
import type { LocalStore, PendingWrite, StoredDoc } from './local-store.ts';
import { UpdateParts } from './update-parts.ts';

/** Version 2 added LOG and META; version 1's `docs` rows are valid snapshots as they are. */
const DB_VERSION = 2;
const DOCS = 'docs'; // key: doc name → { serverState }: the snapshot
const PENDING = 'pending'; // key: [doc name, writeId] → { doc, writeId, update }
const LOG = 'log'; // key: [doc name, seq] → { update }: server updates since the snapshot, in order
const META = 'meta'; // key: doc name → LogCounts (only steers folding: never needed for correctness)
const STORES = [DOCS, PENDING, LOG, META];

/** What the fold decision looks at. */
export interface LogCounts {
	logRows: number;
	logBytes: number;
	snapshotBytes: number;
}

/** Folds once the log is long (so small documents are not rewritten often) and outweighs the snapshot
 * (so the snapshot rewrite costs no more than the appends since the last fold: O(n log n) in all). */
export function shouldFold(c: LogCounts): boolean {
	return c.logRows >= 100 && c.logBytes >= c.snapshotBytes;
}

function range(doc: string): IDBKeyRange {
	return IDBKeyRange.bound([doc, 0], [doc, Infinity]);
}

/** An array of its own: IndexedDB stores a view's whole underlying buffer (e.g. a received frame). */
function own(update: Uint8Array): Uint8Array {
	return update.byteOffset === 0 && update.byteLength === update.buffer.byteLength ? update : update.slice();
}

/** Snapshot and log rows, oldest first, as one update (merged in tiers); null when both are empty. */
function mergeState(snapshot: Uint8Array | null, log: Uint8Array[]): Uint8Array | null {
	if (!snapshot && log.length === 0) return null;
	if (log.length === 0) return snapshot;
	const parts = new UpdateParts();
	if (snapshot) parts.push(snapshot);
	for (const u of log) parts.push(u);
	return parts.merged();
}

function snapshotOf(row: unknown): Uint8Array | null {
	return (row as { serverState?: Uint8Array } | undefined)?.serverState ?? null;
}

/** Replaces snapshot + log with their merge, in the caller's transaction. */
function fold(t: IDBTransaction, doc: string): void {
	const s = t.objectStore(DOCS).get(doc);
	s.onsuccess = () => {
		const l = t.objectStore(LOG).getAll(range(doc));
		l.onsuccess = () => {
			const state = mergeState(snapshotOf(s.result), (l.result as { update: Uint8Array }[]).map((r) => r.update));
			if (!state) return;
			t.objectStore(DOCS).put({ serverState: state }, doc);
			t.objectStore(LOG).delete(range(doc));
			t.objectStore(META).put({ logRows: 0, logBytes: 0, snapshotBytes: state.byteLength } satisfies LogCounts, doc);
		};
	};
}

/** Appends a server update to the document's log, in the caller's transaction, and folds when due. */
function append(t: IDBTransaction, doc: string, update: Uint8Array): void {
	const log = t.objectStore(LOG);
	const meta = t.objectStore(META);
	// the next seq comes from the last row, not a counter in memory: other tabs append to this database too
	const last = log.openKeyCursor(range(doc), 'prev');
	last.onsuccess = () => {
		const seq = last.result ? (last.result.key as [string, number])[1] + 1 : 0;
		log.add({ update: own(update) }, [doc, seq]);
		const m = meta.get(doc);
		m.onsuccess = () => {
			const withRow = (c: LogCounts) => {
				const next = { ...c, logRows: c.logRows + 1, logBytes: c.logBytes + update.byteLength };
				if (shouldFold(next)) fold(t, doc);
				else meta.put(next, doc);
			};
			if (m.result) return withRow(m.result as LogCounts);
			// no counts yet (a new document, or a snapshot from a version-1 database): measure the snapshot once
			const s = t.objectStore(DOCS).get(doc);
			s.onsuccess = () => withRow({ logRows: 0, logBytes: 0, snapshotBytes: snapshotOf(s.result)?.byteLength ?? 0 });
		};
	};
}

/**
 * The IndexedDB store: one database (`name`) for all documents, so listing and deleting replicas
 * (sign-out, revocation) is one place. `factory` defaults to the browser's `indexedDB`.
 */
export function createIndexedDbStore(name = 'parley', factory: IDBFactory = globalThis.indexedDB): LocalStore {
	const opened = new Promise<IDBDatabase>((resolve, reject) => {
		const req = factory.open(name, DB_VERSION);
		req.onupgradeneeded = () => {
			// only adds stores: data written by an older version stays as it is
			const db = req.result;
			for (const store of STORES) if (!db.objectStoreNames.contains(store)) db.createObjectStore(store);
		};
		req.onsuccess = () => resolve(req.result);
		req.onerror = () => reject(req.error);
		req.onblocked = () => reject(new Error(`IndexedDB ${name} is blocked by another connection`));
	});

	// Runs `body` in one transaction and resolves with its result once the transaction commits
	// (not when the last request succeeds: only a committed transaction is durable).
	async function tx<T>(mode: IDBTransactionMode, body: (t: IDBTransaction, done: (value: T) => void) => void): Promise<T> {
		const db = await opened;
		return new Promise<T>((resolve, reject) => {
			const t = db.transaction(STORES, mode);
			let result: T;
			t.oncomplete = () => resolve(result);
			t.onerror = () => reject(t.error);
			t.onabort = () => reject(t.error ?? new Error('IndexedDB transaction aborted'));
			body(t, (value) => (result = value));
		});
	}

	return {
		async loadDoc(doc) {
			const rows = await tx<{ snapshot: Uint8Array | null; log: Uint8Array[]; pending: PendingWrite[] }>('readonly', (t, done) => {
				const out = { snapshot: null as Uint8Array | null, log: [] as Uint8Array[], pending: [] as PendingWrite[] };
				done(out);
				const s = t.objectStore(DOCS).get(doc);
				s.onsuccess = () => (out.snapshot = snapshotOf(s.result));
				// keys sort by seq and writeId, so getAll returns rows in order
				const l = t.objectStore(LOG).getAll(range(doc));
				l.onsuccess = () => (out.log = (l.result as { update: Uint8Array }[]).map((r) => r.update));
				const p = t.objectStore(PENDING).getAll(range(doc));
				p.onsuccess = () => {
					out.pending = (p.result as { writeId: number; update: Uint8Array }[]).map((r) => ({ writeId: r.writeId, update: r.update }));
				};
			});
			// merged after the transaction, so a long merge does not hold it open
			return { serverState: mergeState(rows.snapshot, rows.log), pending: rows.pending } satisfies StoredDoc;
		},
		addPending(doc, write) {
			return tx<void>('readwrite', (t) => {
				t.objectStore(PENDING).put({ doc, writeId: write.writeId, update: own(write.update) }, [doc, write.writeId]);
			});
		},
		confirmPending(doc, writeId) {
			// one transaction: the write is never in both places, nor in neither
			return tx<void>('readwrite', (t) => {
				const pending = t.objectStore(PENDING);
				const p = pending.get([doc, writeId]);
				p.onsuccess = () => {
					if (!p.result) return;
					pending.delete([doc, writeId]);
					append(t, doc, p.result.update as Uint8Array);
				};
			});
		},
		dropPending(doc, writeId) {
			return tx<void>('readwrite', (t) => {
				t.objectStore(PENDING).delete([doc, writeId]);
			});
		},
		mergeServerState(doc, update) {
			return tx<void>('readwrite', (t) => append(t, doc, update));
		},
		deleteDoc(doc) {
			return tx<void>('readwrite', (t) => {
				t.objectStore(DOCS).delete(doc);
				t.objectStore(PENDING).delete(range(doc));
				t.objectStore(LOG).delete(range(doc));
				t.objectStore(META).delete(doc);
			});
		},
		listDocs() {
			return tx<string[]>('readonly', (t, done) => {
				const names = new Set<string>();
				const out: string[] = [];
				done(out);
				const collect = () => out.splice(0, out.length, ...[...names].sort());
				const d = t.objectStore(DOCS).getAllKeys();
				d.onsuccess = () => {
					d.result.forEach((k) => names.add(k as string));
					collect();
				};
				for (const store of [PENDING, LOG]) {
					const r = t.objectStore(store).getAllKeys();
					r.onsuccess = () => {
						r.result.forEach((k) => names.add((k as [string, number])[0]));
						collect();
					};
				}
			});
		},
		close() {
			void opened.then((db) => db.close());
		}
	};
}
