// The client's local replica store (DESIGN.md §5, §6). Per document it keeps the server-confirmed
// state and the writes the server has not acknowledged yet, so the app opens with no network and a
// reload never loses a local change: a write is stored here before it is sent.
import { UpdateParts } from './update-parts.ts';

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

/** An in-memory store (tests, and browsers without IndexedDB); nothing survives the page. */
export function createMemoryStore(): LocalStore {
	// server state as lazily merged parts: receiving an update costs O(log n) merge work per byte, not O(document)
	const docs = new Map<string, { serverState: UpdateParts | null; pending: PendingWrite[] }>();
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
				serverState: e.serverState?.merged().slice() ?? null,
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
			(e.serverState ??= new UpdateParts()).push(w.update);
		},
		async dropPending(doc, writeId) {
			const e = docs.get(doc);
			if (e) e.pending = e.pending.filter((p) => p.writeId !== writeId);
		},
		async mergeServerState(doc, update) {
			const e = entry(doc);
			(e.serverState ??= new UpdateParts()).push(update.slice());
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
