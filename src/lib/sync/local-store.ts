// The client's local replica store (DESIGN.md §5, §6). Per document it keeps the server-confirmed
// state and the writes the server has not acknowledged yet, so the app opens with no network and a
// reload never loses a local change: a write is stored here before it is sent.
import * as Y from 'yjs';

/** A local update the server has not acknowledged yet, with the id it is (re)sent under. */
export interface PendingWrite {
	writeId: number;
	update: Uint8Array;
}

/** What the store holds for one document. */
export interface StoredDoc {
	/** Merged update of everything the server sent or acknowledged; null when nothing is stored. */
	serverState: Uint8Array | null;
	/** Unacknowledged writes, in writeId order. */
	pending: PendingWrite[];
}

/** Persistence for replicas: server-confirmed state plus ordered pending writes, per document. */
export interface LocalStore {
	loadDoc(doc: string): Promise<StoredDoc>;
	/** Appends a pending write; resolves once it is durable. */
	addPending(doc: string, write: PendingWrite): Promise<void>;
	/** The server acknowledged this write: drop it from pending and merge it into the server state, atomically. */
	confirmPending(doc: string, writeId: number): Promise<void>;
	/** The server refused this write: drop it from pending. */
	dropPending(doc: string, writeId: number): Promise<void>;
	/** Merges an update received from the server into the server state. */
	mergeServerState(doc: string, update: Uint8Array): Promise<void>;
	/** Removes everything stored for the document (revoked access). */
	deleteDoc(doc: string): Promise<void>;
	/** Names of every document with anything stored. */
	listDocs(): Promise<string[]>;
	close(): void;
}

function merge(base: Uint8Array | null, update: Uint8Array): Uint8Array {
	return base ? Y.mergeUpdates([base, update]) : update.slice();
}

/** An in-memory store (tests, and browsers without IndexedDB); nothing survives the page. */
export function createMemoryStore(): LocalStore {
	const docs = new Map<string, { serverState: Uint8Array | null; pending: PendingWrite[] }>();
	const entry = (doc: string) => {
		let e = docs.get(doc);
		if (!e) docs.set(doc, (e = { serverState: null, pending: [] }));
		return e;
	};
	return {
		async loadDoc(doc) {
			const e = docs.get(doc);
			if (!e) return { serverState: null, pending: [] };
			return {
				serverState: e.serverState?.slice() ?? null,
				pending: e.pending.map((w) => ({ writeId: w.writeId, update: w.update.slice() }))
			};
		},
		async addPending(doc, write) {
			const e = entry(doc);
			e.pending = e.pending.filter((w) => w.writeId !== write.writeId);
			e.pending.push({ writeId: write.writeId, update: write.update.slice() });
			e.pending.sort((a, b) => a.writeId - b.writeId);
		},
		async confirmPending(doc, writeId) {
			const e = docs.get(doc);
			const w = e?.pending.find((p) => p.writeId === writeId);
			if (!e || !w) return;
			e.pending = e.pending.filter((p) => p !== w);
			e.serverState = merge(e.serverState, w.update);
		},
		async dropPending(doc, writeId) {
			const e = docs.get(doc);
			if (e) e.pending = e.pending.filter((p) => p.writeId !== writeId);
		},
		async mergeServerState(doc, update) {
			const e = entry(doc);
			e.serverState = merge(e.serverState, update);
		},
		async deleteDoc(doc) {
			docs.delete(doc);
		},
		async listDocs() {
			return [...docs.keys()];
		},
		close() {}
	};
}

const DOCS = 'docs'; // key: doc name → { serverState }
const PENDING = 'pending'; // key: [doc name, writeId] → { doc, writeId, update }

function pendingRange(doc: string): IDBKeyRange {
	return IDBKeyRange.bound([doc, 0], [doc, Infinity]);
}

/**
 * The IndexedDB store: one database (`name`) for all documents, so listing and deleting replicas
 * (sign-out, revocation) is one place. `factory` defaults to the browser's `indexedDB`.
 */
export function createIndexedDbStore(name = 'parley', factory: IDBFactory = globalThis.indexedDB): LocalStore {
	const opened = new Promise<IDBDatabase>((resolve, reject) => {
		const req = factory.open(name, 1);
		req.onupgradeneeded = () => {
			const db = req.result;
			if (!db.objectStoreNames.contains(DOCS)) db.createObjectStore(DOCS);
			if (!db.objectStoreNames.contains(PENDING)) db.createObjectStore(PENDING);
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
			const t = db.transaction([DOCS, PENDING], mode);
			let result: T;
			t.oncomplete = () => resolve(result);
			t.onerror = () => reject(t.error);
			t.onabort = () => reject(t.error ?? new Error('IndexedDB transaction aborted'));
			body(t, (value) => (result = value));
		});
	}

	return {
		loadDoc(doc) {
			return tx<StoredDoc>('readonly', (t, done) => {
				const out: StoredDoc = { serverState: null, pending: [] };
				const s = t.objectStore(DOCS).get(doc);
				s.onsuccess = () => (out.serverState = (s.result?.serverState as Uint8Array | undefined) ?? null);
				const p = t.objectStore(PENDING).getAll(pendingRange(doc));
				p.onsuccess = () => {
					// keys sort by writeId, so getAll returns them in order
					out.pending = (p.result as { writeId: number; update: Uint8Array }[]).map((r) => ({ writeId: r.writeId, update: r.update }));
				};
				done(out);
			});
		},
		addPending(doc, write) {
			return tx<void>('readwrite', (t) => {
				t.objectStore(PENDING).put({ doc, writeId: write.writeId, update: write.update }, [doc, write.writeId]);
			});
		},
		confirmPending(doc, writeId) {
			return tx<void>('readwrite', (t) => {
				const pending = t.objectStore(PENDING);
				const docs = t.objectStore(DOCS);
				const p = pending.get([doc, writeId]);
				p.onsuccess = () => {
					if (!p.result) return;
					const s = docs.get(doc);
					s.onsuccess = () => {
						docs.put({ serverState: merge((s.result?.serverState as Uint8Array | undefined) ?? null, p.result.update) }, doc);
						pending.delete([doc, writeId]);
					};
				};
			});
		},
		dropPending(doc, writeId) {
			return tx<void>('readwrite', (t) => {
				t.objectStore(PENDING).delete([doc, writeId]);
			});
		},
		mergeServerState(doc, update) {
			return tx<void>('readwrite', (t) => {
				const docs = t.objectStore(DOCS);
				const s = docs.get(doc);
				s.onsuccess = () => docs.put({ serverState: merge((s.result?.serverState as Uint8Array | undefined) ?? null, update) }, doc);
			});
		},
		deleteDoc(doc) {
			return tx<void>('readwrite', (t) => {
				t.objectStore(DOCS).delete(doc);
				t.objectStore(PENDING).delete(pendingRange(doc));
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
				const p = t.objectStore(PENDING).getAllKeys();
				p.onsuccess = () => {
					p.result.forEach((k) => names.add((k as [string, number])[0]));
					collect();
				};
			});
		},
		close() {
			void opened.then((db) => db.close());
		}
	};
}
