// The client's sync provider (DESIGN.md §4–§6): one per tab, one socket, many documents.
// Every open document is loaded from the local store first (works with no network), then
// subscribed with the state vector of what the server confirmed. Local changes are stored as
// pending writes before they are sent, resent after every reconnect until acknowledged, and a
// refused write is removed from the replica and reported, never silently lost.
import * as Y from 'yjs';
import { type Awareness, applyAwarenessUpdate, encodeAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness';
import {
	AccessRole,
	CloseCode,
	MessageType,
	PROTOCOL_VERSION,
	ReasonCode,
	SyncType,
	readFrame,
	writeAwareness,
	writePing,
	writeSyncStep1,
	writeUnsubscribe,
	writeWrite,
	type Frame
} from '../shared/protocol.ts';
import { Emitter } from './emitter.ts';
import type { LocalStore } from './local-store.ts';
import { Connection, type SocketLike } from './connection.ts';
import { DocState, type DocStateHandlers } from './doc-state.ts';
import type { LocalWrite } from './pending-writes.ts';
import { clientsOf, readLiveRecords, readUpdateRecords, type RefusedRecord } from './update-records.ts';

export type { SocketLike } from './connection.ts';
export { readUpdateRecords, type RefusedRecord } from './update-records.ts';

/** A local change the server refused; kept until the user dismisses it. */
export interface RefusedChange {
	doc: string;
	writeId: number;
	reason: ReasonCode;
	message: string;
	records: RefusedRecord[];
	at: number;
}

/** What the UI shows about sync: connection, unacknowledged changes, refused changes. */
export interface SyncStatusSnapshot {
	online: boolean;
	pending: number;
	refused: RefusedChange[];
	/** The session ended (close 4401): the provider stopped reconnecting. */
	signedOut: boolean;
	/** The relay speaks another protocol version (close 4426): reload the app. */
	versionMismatch: boolean;
}

/** Events the provider emits. */
export type SyncEvents = {
	status: SyncStatusSnapshot;
	/** The document was rebuilt from server state + remaining pending writes; rebind to `ydoc`. */
	'doc-reset': { doc: string; ydoc: Y.Doc };
	refused: RefusedChange;
	/** Access to the document ended; it was closed and its local copy deleted. */
	revoked: { doc: string };
	access: { doc: string; role: AccessRole };
	error: { doc: string; reason: ReasonCode; message: string };
};

export interface SyncProviderOptions {
	/** The relay's URL, e.g. `wss://host/sync`; `v=<PROTOCOL_VERSION>` is added when missing. */
	url: string;
	store: LocalStore;
	createSocket?: (url: string) => SocketLike;
	/** Names this provider in logs (several providers in one test process). */
	clientName?: string;
	/** Backoff base and cap in ms (tests shorten them). */
	backoff?: { baseMs: number; maxMs: number };
	/** Heartbeat timing in ms (tests shorten it); see `ConnectionOptions.heartbeat`. */
	heartbeat?: { idleMs: number; timeoutMs: number };
}

/**
 * Ping after 5 s of silence, give up 5 s later: a dead socket is noticed within about 10 s even when
 * the browser's `offline` event never comes (a dead Wi-Fi, a sleeping laptop, a dropped proxy).
 */
const HEARTBEAT = { idleMs: 5000, timeoutMs: 5000 };

const RETRYABLE = new Set<ReasonCode>([ReasonCode.ServerError, ReasonCode.RateLimited, ReasonCode.QuotaExceeded]);

/** Syncs documents between Y.Docs, the local store and the relay over one socket. */
export class SyncProvider extends Emitter<SyncEvents> {
	readonly url: string;
	readonly clientName: string;
	#store: LocalStore;
	#conn: Connection;
	#docs = new Map<string, DocState>();
	/** Per document name: store operations run one after another, in the order they were asked. */
	#queues = new Map<string, Promise<void>>();
	/** Writes of revoked documents still in flight: their nacks are reported as refused. */
	#revokedInFlight = new Map<string, Map<number, Uint8Array>>();
	#nextWriteId = 1;
	#retryTimer: ReturnType<typeof setTimeout> | null = null;
	#signedOut = false;
	#versionMismatch = false;
	#refused: RefusedChange[] = [];
	#docHandlers: DocStateHandlers = {
		localUpdate: (d, update) => {
			if (!d.loaded) d.early.push(update);
			else this.#addLocalWrite(d, update);
			this.#emitStatus();
		},
		localAwareness: (d, changed) => {
			if (d.granted) this.#conn.send(writeAwareness(d.name, encodeAwarenessUpdate(d.awareness, changed)));
		}
	};

	constructor(options: SyncProviderOptions) {
		super();
		const u = new URL(options.url);
		if (!u.searchParams.has('v')) u.searchParams.set('v', String(PROTOCOL_VERSION));
		this.url = u.toString();
		this.#store = options.store;
		this.clientName = options.clientName ?? 'parley';
		this.#conn = new Connection(
			{
				url: this.url,
				createSocket: options.createSocket,
				clientName: this.clientName,
				backoff: options.backoff,
				heartbeat: { ping: writePing(), ...(options.heartbeat ?? HEARTBEAT) }
			},
			{ open: () => this.#onOpen(), message: (bytes) => this.#onMessage(bytes), closed: (code) => this.#onSocketClosed(code) }
		);
	}

	/** The current status (also emitted as 'status' on every change). */
	get status(): SyncStatusSnapshot {
		let pending = 0;
		for (const d of this.#docs.values()) pending += d.unacknowledged;
		return {
			online: this.#conn.open,
			pending,
			refused: [...this.#refused],
			signedOut: this.#signedOut,
			versionMismatch: this.#versionMismatch
		};
	}

	/**
	 * Opens a document (reference counted) and returns its Y.Doc. The Y.Doc is replaced when a write
	 * is refused: listen to 'doc-reset' or read `getDoc` again.
	 */
	open(name: string): Y.Doc {
		const existing = this.#docs.get(name);
		if (existing) {
			existing.refs++;
			return existing.ydoc;
		}
		const d = new DocState(name, this, this.#docHandlers);
		this.#docs.set(name, d);
		this.#enqueue(name, async () => {
			const stored = await this.#store.loadDoc(name);
			if (this.#docs.get(name) !== d) return; // closed while loading
			for (const w of stored.pending) this.#nextWriteId = Math.max(this.#nextWriteId, w.writeId + 1);
			d.load(stored);
			const early = d.early.splice(0);
			for (const update of early) this.#addLocalWrite(d, update);
			this.#subscribe(d);
			this.#emitStatus();
		});
		return d.ydoc;
	}

	/** Whether an open document holds what this device had stored of it (its local copy has loaded). */
	isLoaded(name: string): boolean {
		return this.#docs.get(name)?.loaded ?? false;
	}

	/**
	 * The document as this device holds it, without opening or subscribing it (offline search reads
	 * every conversation the replica has): an open, loaded document as it is now; otherwise a new
	 * Y.Doc (the caller destroys it) from the local store's confirmed state and pending writes.
	 * Null when nothing is stored.
	 */
	async readLocal(name: string): Promise<{ ydoc: Y.Doc; own: boolean } | null> {
		const open = this.#docs.get(name);
		if (open?.loaded) return { ydoc: open.ydoc, own: false };
		const stored = await this.#store.loadDoc(name);
		if (!stored.serverState && stored.pending.length === 0) return null;
		const ydoc = new Y.Doc();
		if (stored.serverState) Y.applyUpdate(ydoc, stored.serverState);
		for (const w of stored.pending) Y.applyUpdate(ydoc, w.update);
		return { ydoc, own: true };
	}

	/** The current Y.Doc of an open document. */
	getDoc(name: string): Y.Doc | undefined {
		return this.#docs.get(name)?.ydoc;
	}

	/**
	 * Keys in root map `root` of `doc` that local writes the server has not acknowledged yet set: the
	 * UI marks those records as waiting to sync until their ack.
	 */
	pendingKeys(doc: string, root: string): Set<string> {
		const keys = new Set<string>();
		const d = this.#docs.get(doc);
		if (!d) return keys;
		for (const w of d.pending.list()) {
			for (const r of readUpdateRecords(w.update)) if (r.root === root && r.key !== null) keys.add(r.key);
		}
		return keys;
	}

	/** Presence for an open document; local state changes are sent, remote ones applied. */
	awareness(name: string): Awareness {
		const d = this.#docs.get(name);
		if (!d) throw new Error(`Document ${name} is not open`);
		return d.awareness;
	}

	/** Resolves when every store operation asked for so far has finished (tests, orderly shutdown). */
	async flush(): Promise<void> {
		// operations may queue more (loading queues the writes made meanwhile): wait until none are left
		while (this.#queues.size > 0) await Promise.all([...this.#queues.values()]);
	}

	/**
	 * Releases one reference; at zero the document stops syncing. Unsent pending writes stay in the
	 * store and are sent the next time the document is opened.
	 */
	close(name: string): void {
		const d = this.#docs.get(name);
		if (!d || --d.refs > 0) return;
		// tell the others we left before the relay stops forwarding our presence
		removeAwarenessStates(d.awareness, [d.awareness.clientID], 'close');
		if (d.subscribed) this.#conn.send(writeUnsubscribe(name));
		this.#dispose(d);
		this.#emitStatus();
	}

	/** Closes every document and the socket, and stops reconnecting. */
	destroy(): void {
		this.#conn.destroy();
		if (this.#retryTimer) clearTimeout(this.#retryTimer);
		for (const d of [...this.#docs.values()]) this.#dispose(d);
	}

	/** Forgets refused changes the user has seen. */
	dismissRefused(change?: RefusedChange): void {
		this.#refused = change ? this.#refused.filter((c) => c !== change) : [];
		this.#emitStatus();
	}

	/** Skips the backoff wait (the browser came back online, the user pressed retry). */
	reconnectNow(): void {
		this.#conn.reconnectNow();
	}

	/** Test hook: drops the socket as a network failure would; the provider reconnects. */
	disconnect(): void {
		this.#conn.drop();
	}

	// --- connection ---

	#onOpen(): void {
		for (const d of this.#docs.values()) this.#subscribe(d);
		this.#emitStatus();
	}

	#onMessage(bytes: Uint8Array): void {
		const frame = readFrame(bytes);
		if (!frame) {
			console.warn(`[sync ${this.clientName}] ignoring malformed frame`);
			return;
		}
		this.#handleFrame(frame);
	}

	#onSocketClosed(code: number): void {
		for (const d of this.#docs.values()) d.connectionLost();
		// a revoked document's writes can no longer be answered: report them rather than lose them
		for (const [doc, writes] of this.#revokedInFlight) {
			for (const [writeId, update] of writes) this.#recordRefused(doc, writeId, update, ReasonCode.Forbidden, 'Access to this document was revoked');
		}
		this.#revokedInFlight.clear();
		if (code === CloseCode.Unauthorized.code) this.#signedOut = true;
		else if (code === CloseCode.VersionMismatch.code) this.#versionMismatch = true;
		if (this.#signedOut || this.#versionMismatch) this.#conn.halt(); // otherwise the connection reconnects
		this.#emitStatus();
	}

	#subscribe(d: DocState): void {
		if (!d.loaded || d.subscribed || !this.#conn.open) return;
		d.subscribed = this.#conn.send(writeSyncStep1(d.name, d.serverStateVector()));
	}

	/** Sends stored, not yet sent pending writes in order, once the document is granted. */
	#sendPending(d: DocState): void {
		if (!d.granted) return;
		for (const w of d.pending.unsent()) {
			if (!this.#conn.send(writeWrite(d.name, w.writeId, w.update))) return;
			d.pending.markSent(w.writeId);
		}
	}

	// --- documents ---

	#enqueue(name: string, op: () => Promise<void>): void {
		const prev = this.#queues.get(name) ?? Promise.resolve();
		const next = prev.then(op).catch((err) => console.error(`[sync ${this.clientName}] store operation on ${name} failed`, err));
		this.#queues.set(name, next);
		void next.then(() => {
			if (this.#queues.get(name) === next) this.#queues.delete(name);
		});
	}

	#addLocalWrite(d: DocState, update: Uint8Array): void {
		const w: LocalWrite = { writeId: this.#nextWriteId++, update, stored: false };
		d.pending.add(w);
		this.#enqueue(d.name, async () => {
			try {
				await this.#store.addPending(d.name, { writeId: w.writeId, update });
			} finally {
				// a store failure still sends: better synced than lost with the tab
				w.stored = true;
			}
			if (this.#docs.get(d.name) === d) this.#sendPending(d);
		});
	}

	#dispose(d: DocState): void {
		this.#docs.delete(d.name);
		d.dispose();
	}

	#recordRefused(doc: string, writeId: number, update: Uint8Array, reason: ReasonCode, message: string): void {
		const change: RefusedChange = { doc, writeId, reason, message, records: readUpdateRecords(update), at: Date.now() };
		this.#refused = [...this.#refused, change];
		this.emit('refused', change);
	}

	/**
	 * Removes a refused pending write, reports it, and rebuilds the document without it. Later pending
	 * writes by the same Yjs client continue its clocks, so the relay would refuse them too (clock gap):
	 * their records are carried over into the rebuilt document as new writes instead of being lost.
	 */
	#refuse(d: DocState, index: number, reason: ReasonCode, message: string): void {
		const writes = d.pending.list();
		const w = writes[index];
		d.pending.remove([w]);
		this.#enqueue(d.name, () => this.#store.dropPending(d.name, w.writeId));
		this.#recordRefused(d.name, w.writeId, w.update, reason, message);
		const clients = clientsOf(w.update);
		const dependents = writes.slice(index + 1).filter((p) => [...clientsOf(p.update)].some((c) => clients.has(c)));
		if (dependents.length) {
			d.pending.remove(dependents);
			for (const p of dependents) this.#enqueue(d.name, () => this.#store.dropPending(d.name, p.writeId));
		}
		d.rebuild((ydoc) => this.emit('doc-reset', { doc: d.name, ydoc }));
		if (dependents.length) {
			const records = readLiveRecords(Y.mergeUpdates(dependents.map((p) => p.update)));
			// no origin: these become ordinary local writes of the new document
			d.ydoc.transact(() => {
				for (const r of records) d.ydoc.getMap(r.root).set(r.key, r.value);
			});
		}
	}

	#revoke(name: string): void {
		const d = this.#docs.get(name);
		if (d) {
			const inFlight = new Map<number, Uint8Array>();
			for (const w of d.pending.list()) {
				if (d.pending.isSent(w.writeId)) inFlight.set(w.writeId, w.update);
				else this.#recordRefused(name, w.writeId, w.update, ReasonCode.Forbidden, 'Access to this document was revoked');
			}
			if (inFlight.size) this.#revokedInFlight.set(name, inFlight);
			this.#dispose(d);
		}
		this.#enqueue(name, () => this.#store.deleteDoc(name));
		this.emit('revoked', { doc: name });
		this.#emitStatus();
	}

	#handleFrame(f: Frame): void {
		const d = this.#docs.get(f.doc);
		switch (f.type) {
			case MessageType.Access: {
				if (f.role === AccessRole.None) {
					this.#revoke(f.doc);
					break;
				}
				if (d) {
					const first = !d.role;
					d.role = f.role;
					if (first) {
						this.#sendPending(d);
						if (d.awareness.getLocalState() !== null) {
							this.#conn.send(writeAwareness(d.name, encodeAwarenessUpdate(d.awareness, [d.awareness.clientID])));
						}
					}
				}
				this.emit('access', { doc: f.doc, role: f.role });
				break;
			}
			case MessageType.Sync: {
				if (!d || f.syncType === SyncType.Step1) break; // the server never asks; ignore
				// a copy: f.data is a view into the frame, and the parts keep what they are given
				const update = f.data.slice();
				d.applyServerUpdate(update);
				this.#enqueue(f.doc, () => this.#store.mergeServerState(f.doc, update));
				break;
			}
			case MessageType.Ack: {
				const revoked = this.#revokedInFlight.get(f.doc);
				if (revoked?.delete(f.writeId)) break;
				if (d) {
					const w = d.pending.take(f.writeId);
					if (w) d.serverState.push(w.update);
				}
				// also for a closed document: the store still holds the write
				this.#enqueue(f.doc, () => this.#store.confirmPending(f.doc, f.writeId));
				this.#emitStatus();
				break;
			}
			case MessageType.Nack: {
				const revoked = this.#revokedInFlight.get(f.doc);
				const revokedUpdate = revoked?.get(f.writeId);
				if (revoked && revokedUpdate) {
					revoked.delete(f.writeId);
					this.#recordRefused(f.doc, f.writeId, revokedUpdate, f.reason, f.message);
					this.#emitStatus();
					break;
				}
				if (!d) {
					// a closed document: the refused write stays stored and is resent (and refused) on the next
					// open, where it is reported; dropping it here would lose it silently
					break;
				}
				const i = d.pending.indexOf(f.writeId);
				if (i < 0) break; // superseded (carried over after an earlier refusal) or already settled
				// a clock gap behind an earlier unsettled write of ours is that write's doing: wait for it
				if (RETRYABLE.has(f.reason) || (f.reason === ReasonCode.ClockGap && i > 0)) {
					d.pending.markUnsent(f.writeId);
					this.#scheduleRetry();
					break;
				}
				this.#refuse(d, i, f.reason, f.message);
				this.#emitStatus();
				break;
			}
			case MessageType.Awareness: {
				if (d) applyAwarenessUpdate(d.awareness, f.data, this);
				break;
			}
			case MessageType.Error: {
				console.warn(`[sync ${this.clientName}] ${f.doc || 'connection'}: ${f.reason} ${f.message}`);
				this.emit('error', { doc: f.doc, reason: f.reason, message: f.message });
				break;
			}
			default:
				break; // Write and Unsubscribe only travel client → server
		}
	}

	/** Resends writes the server could not take for now (server error, rate limit) after a pause. */
	#scheduleRetry(): void {
		if (this.#retryTimer) return;
		this.#retryTimer = setTimeout(() => {
			this.#retryTimer = null;
			for (const d of this.#docs.values()) this.#sendPending(d);
		}, 1000 * (0.5 + Math.random()));
	}

	#emitStatus(): void {
		this.emit('status', this.status);
	}
}
