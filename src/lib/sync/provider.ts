// The client's sync provider (DESIGN.md §4–§6): one per tab, one socket, many documents.
// Every open document is loaded from the local store first (works with no network), then
// subscribed with the state vector of what the server confirmed. Local changes are stored as
// pending writes before they are sent, resent after every reconnect until acknowledged, and a
// refused write is removed from the replica and reported, never silently lost.
import * as Y from 'yjs';
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness';
import {
	AccessRole,
	CloseCode,
	MessageType,
	PROTOCOL_VERSION,
	ReasonCode,
	SyncType,
	readFrame,
	writeAwareness,
	writeSyncStep1,
	writeUnsubscribe,
	writeWrite,
	type Frame
} from '../shared/protocol.ts';
import { Emitter } from './emitter.ts';
import type { LocalStore } from './local-store.ts';
import { UpdateParts } from './update-parts.ts';

/** The part of a WebSocket the provider uses (the browser's, or `ws` in Node). */
export interface SocketLike {
	binaryType: string;
	readonly readyState: number;
	send(data: Uint8Array): void;
	close(code?: number, reason?: string): void;
	onopen: ((ev: unknown) => void) | null;
	onmessage: ((ev: { data: unknown }) => void) | null;
	onclose: ((ev: { code: number; reason?: string }) => void) | null;
	onerror: ((ev: unknown) => void) | null;
}

const OPEN = 1;

/** One JSON record a refused update contained (root map, key, value), for showing the user what was lost. */
export interface RefusedRecord {
	root: string | null;
	key: string | null;
	value: unknown;
}

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
}

interface LocalWrite {
	writeId: number;
	update: Uint8Array;
	/** Durable in the store: only stored writes are sent. */
	stored: boolean;
}

interface OpenDoc {
	name: string;
	ydoc: Y.Doc;
	awareness: Awareness;
	refs: number;
	loaded: boolean;
	/** Local updates made before the stored replica finished loading. */
	early: Uint8Array[];
	/** What the server confirmed, merged lazily: receiving or confirming an update must not cost O(document). */
	serverState: UpdateParts;
	pending: LocalWrite[];
	/** Sync step 1 sent on the current socket. */
	subscribed: boolean;
	/** Role granted on the current socket; writes are sent only once granted. */
	role: AccessRole | null;
	/** Write ids sent on the current socket. */
	sent: Set<number>;
	onUpdate: (update: Uint8Array, origin: unknown) => void;
	onAwareness: (change: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => void;
}

const RETRYABLE = new Set<ReasonCode>([ReasonCode.ServerError, ReasonCode.RateLimited]);

/** Lists the JSON records (root, key, value) an update carries; deletions carry no records. */
export function readUpdateRecords(update: Uint8Array): RefusedRecord[] {
	try {
		const { structs } = Y.decodeUpdate(update);
		const records: RefusedRecord[] = [];
		for (const s of structs) {
			if (!(s instanceof Y.Item) || !(s.content instanceof Y.ContentAny)) continue;
			const arr = s.content.arr;
			records.push({
				root: typeof s.parent === 'string' ? s.parent : null,
				key: s.parentSub,
				value: arr[arr.length - 1]
			});
		}
		return records;
	} catch {
		return [];
	}
}

function clientsOf(update: Uint8Array): Set<number> {
	try {
		return new Set(Y.decodeUpdate(update).structs.map((s) => s.id.client));
	} catch {
		return new Set();
	}
}

/** The JSON records an update sets and does not itself delete again. */
function readLiveRecords(update: Uint8Array): Array<{ root: string; key: string; value: unknown }> {
	const { structs, ds } = Y.decodeUpdate(update);
	const out: Array<{ root: string; key: string; value: unknown }> = [];
	for (const s of structs) {
		if (!(s instanceof Y.Item) || !(s.content instanceof Y.ContentAny)) continue;
		if (typeof s.parent !== 'string' || s.parentSub === null || Y.isDeleted(ds, s.id)) continue;
		out.push({ root: s.parent, key: s.parentSub, value: s.content.arr[s.content.arr.length - 1] });
	}
	return out;
}

function toBytes(data: unknown): Uint8Array | null {
	if (data instanceof ArrayBuffer) return new Uint8Array(data);
	if (data instanceof Uint8Array) return data;
	if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
	return null;
}

function defaultSocket(url: string): SocketLike {
	return new WebSocket(url) as unknown as SocketLike;
}

/** Syncs documents between Y.Docs, the local store and the relay over one socket. */
export class SyncProvider extends Emitter<SyncEvents> {
	readonly url: string;
	readonly clientName: string;
	#store: LocalStore;
	#createSocket: (url: string) => SocketLike;
	#backoff: { baseMs: number; maxMs: number };
	#docs = new Map<string, OpenDoc>();
	/** Per document name: store operations run one after another, in the order they were asked. */
	#queues = new Map<string, Promise<void>>();
	/** Writes of revoked documents still in flight: their nacks are reported as refused. */
	#revokedInFlight = new Map<string, Map<number, Uint8Array>>();
	#nextWriteId = 1;
	#socket: SocketLike | null = null;
	#attempt = 0;
	#reconnectTimer: ReturnType<typeof setTimeout> | null = null;
	#retryTimer: ReturnType<typeof setTimeout> | null = null;
	#destroyed = false;
	#online = false;
	#signedOut = false;
	#versionMismatch = false;
	#refused: RefusedChange[] = [];
	#onBrowserOnline = () => this.reconnectNow();

	constructor(options: SyncProviderOptions) {
		super();
		const u = new URL(options.url);
		if (!u.searchParams.has('v')) u.searchParams.set('v', String(PROTOCOL_VERSION));
		this.url = u.toString();
		this.#store = options.store;
		this.#createSocket = options.createSocket ?? defaultSocket;
		this.clientName = options.clientName ?? 'parley';
		this.#backoff = options.backoff ?? { baseMs: 250, maxMs: 30_000 };
		globalThis.addEventListener?.('online', this.#onBrowserOnline);
		this.#connect();
	}

	/** The current status (also emitted as 'status' on every change). */
	get status(): SyncStatusSnapshot {
		let pending = 0;
		for (const d of this.#docs.values()) pending += d.pending.length + d.early.length;
		return {
			online: this.#online,
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
		const awarenessDoc = new Y.Doc(); // presence outlives doc resets, so it has its own client id
		const d: OpenDoc = {
			name,
			ydoc: new Y.Doc(),
			awareness: new Awareness(awarenessDoc),
			refs: 1,
			loaded: false,
			early: [],
			serverState: new UpdateParts(),
			pending: [],
			subscribed: false,
			role: null,
			sent: new Set(),
			onUpdate: (update, origin) => {
				if (origin === this) return;
				if (!d.loaded) d.early.push(update);
				else this.#addLocalWrite(d, update);
				this.#emitStatus();
			},
			onAwareness: ({ added, updated, removed }, origin) => {
				if (origin === this) return;
				const changed = [...added, ...updated, ...removed];
				if (d.role && d.role !== AccessRole.None) this.#send(writeAwareness(name, encodeAwarenessUpdate(d.awareness, changed)));
			}
		};
		d.ydoc.on('update', d.onUpdate);
		d.awareness.on('update', d.onAwareness);
		this.#docs.set(name, d);
		this.#enqueue(name, async () => {
			const stored = await this.#store.loadDoc(name);
			if (this.#docs.get(name) !== d) return; // closed while loading
			d.serverState = new UpdateParts();
			if (stored.serverState) d.serverState.push(stored.serverState);
			d.pending = stored.pending.map((w) => ({ ...w, stored: true }));
			for (const w of stored.pending) this.#nextWriteId = Math.max(this.#nextWriteId, w.writeId + 1);
			Y.transact(
				d.ydoc,
				() => {
					if (stored.serverState) Y.applyUpdate(d.ydoc, stored.serverState, this);
					for (const w of d.pending) Y.applyUpdate(d.ydoc, w.update, this);
				},
				this
			);
			d.loaded = true;
			const early = d.early.splice(0);
			for (const update of early) this.#addLocalWrite(d, update);
			this.#subscribe(d);
			this.#emitStatus();
		});
		return d.ydoc;
	}

	/** The current Y.Doc of an open document. */
	getDoc(name: string): Y.Doc | undefined {
		return this.#docs.get(name)?.ydoc;
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
		if (d.subscribed) this.#send(writeUnsubscribe(name));
		this.#dispose(d);
		this.#emitStatus();
	}

	/** Closes every document and the socket, and stops reconnecting. */
	destroy(): void {
		this.#destroyed = true;
		globalThis.removeEventListener?.('online', this.#onBrowserOnline);
		if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
		if (this.#retryTimer) clearTimeout(this.#retryTimer);
		for (const d of [...this.#docs.values()]) this.#dispose(d);
		const s = this.#socket;
		this.#socket = null;
		if (s) {
			s.onopen = s.onmessage = s.onclose = null;
			s.onerror = () => {}; // `ws` reports closing a connecting socket as an error
			s.close(1000, 'Client closed');
		}
		this.#online = false;
	}

	/** Forgets refused changes the user has seen. */
	dismissRefused(change?: RefusedChange): void {
		this.#refused = change ? this.#refused.filter((c) => c !== change) : [];
		this.#emitStatus();
	}

	/** Skips the backoff wait (the browser came back online, the user pressed retry). */
	reconnectNow(): void {
		if (this.#destroyed || this.#signedOut || this.#versionMismatch || this.#socket) return;
		if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
		this.#reconnectTimer = null;
		this.#connect();
	}

	/** Test hook: drops the socket as a network failure would; the provider reconnects. */
	disconnect(): void {
		this.#socket?.close(4000, 'Client disconnect');
	}

	// --- connection ---

	#connect(): void {
		if (this.#destroyed) return;
		let socket: SocketLike;
		try {
			socket = this.#createSocket(this.url);
		} catch (err) {
			console.error(`[sync ${this.clientName}] cannot create socket`, err);
			this.#scheduleReconnect();
			return;
		}
		this.#socket = socket;
		socket.binaryType = 'arraybuffer';
		socket.onopen = () => {
			if (this.#socket !== socket) return;
			this.#online = true;
			this.#attempt = 0;
			for (const d of this.#docs.values()) this.#subscribe(d);
			this.#emitStatus();
		};
		socket.onmessage = (ev) => {
			if (this.#socket !== socket) return;
			const bytes = toBytes(ev.data);
			const frame = bytes && readFrame(bytes);
			if (!frame) {
				console.warn(`[sync ${this.clientName}] ignoring malformed frame`);
				return;
			}
			this.#handleFrame(frame);
		};
		socket.onerror = () => {}; // a close event follows; reconnecting is decided there
		socket.onclose = (ev) => {
			if (this.#socket !== socket) return;
			this.#socket = null;
			this.#onSocketClosed(ev.code);
		};
	}

	#onSocketClosed(code: number): void {
		this.#online = false;
		for (const d of this.#docs.values()) {
			d.subscribed = false;
			d.role = null;
			d.sent.clear();
			const others = [...d.awareness.getStates().keys()].filter((id) => id !== d.awareness.clientID);
			removeAwarenessStates(d.awareness, others, this);
		}
		// a revoked document's writes can no longer be answered: report them rather than lose them
		for (const [doc, writes] of this.#revokedInFlight) {
			for (const [writeId, update] of writes) this.#recordRefused(doc, writeId, update, ReasonCode.Forbidden, 'Access to this document was revoked');
		}
		this.#revokedInFlight.clear();
		if (code === CloseCode.Unauthorized.code) this.#signedOut = true;
		else if (code === CloseCode.VersionMismatch.code) this.#versionMismatch = true;
		else this.#scheduleReconnect();
		this.#emitStatus();
	}

	#scheduleReconnect(): void {
		if (this.#destroyed || this.#reconnectTimer) return;
		const { baseMs, maxMs } = this.#backoff;
		const delay = Math.min(maxMs, baseMs * 2 ** this.#attempt) * (0.5 + Math.random()); // ±50 % jitter
		this.#attempt = Math.min(this.#attempt + 1, 30);
		this.#reconnectTimer = setTimeout(() => {
			this.#reconnectTimer = null;
			this.#connect();
		}, delay);
	}

	#send(bytes: Uint8Array): boolean {
		const s = this.#socket;
		if (!s || s.readyState !== OPEN) return false;
		s.send(bytes);
		return true;
	}

	#subscribe(d: OpenDoc): void {
		if (!d.loaded || d.subscribed || !this.#online) return;
		// the server's state, not the replica's: pending writes are not on the server yet. Merging it
		// here costs O(document) once per (re)subscription, not per update.
		d.subscribed = this.#send(writeSyncStep1(d.name, Y.encodeStateVectorFromUpdate(d.serverState.merged())));
	}

	/** Sends stored, not yet sent pending writes in order, once the document is granted. */
	#sendPending(d: OpenDoc): void {
		if (!d.role || d.role === AccessRole.None) return;
		for (const w of d.pending) {
			if (!w.stored) break; // keep order: a later write never overtakes an unstored earlier one
			if (d.sent.has(w.writeId)) continue;
			if (!this.#send(writeWrite(d.name, w.writeId, w.update))) return;
			d.sent.add(w.writeId);
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

	#addLocalWrite(d: OpenDoc, update: Uint8Array): void {
		const w: LocalWrite = { writeId: this.#nextWriteId++, update, stored: false };
		d.pending.push(w);
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

	#dispose(d: OpenDoc): void {
		this.#docs.delete(d.name);
		d.ydoc.off('update', d.onUpdate);
		d.awareness.off('update', d.onAwareness);
		d.awareness.destroy();
		d.ydoc.destroy();
	}

	/** Replaces the document with server state + remaining pending writes (Yjs cannot un-apply an update). */
	#rebuild(d: OpenDoc): void {
		const old = d.ydoc;
		const ydoc = new Y.Doc(); // a fresh client id: the old one's clocks include the refused structs
		Y.transact(
			ydoc,
			() => {
				Y.applyUpdate(ydoc, d.serverState.merged(), this);
				for (const w of d.pending) Y.applyUpdate(ydoc, w.update, this);
			},
			this
		);
		old.off('update', d.onUpdate);
		ydoc.on('update', d.onUpdate);
		d.ydoc = ydoc;
		this.emit('doc-reset', { doc: d.name, ydoc });
		old.destroy();
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
	#refuse(d: OpenDoc, index: number, reason: ReasonCode, message: string): void {
		const [w] = d.pending.splice(index, 1);
		this.#enqueue(d.name, () => this.#store.dropPending(d.name, w.writeId));
		this.#recordRefused(d.name, w.writeId, w.update, reason, message);
		const clients = clientsOf(w.update);
		const dependents = d.pending.slice(index).filter((p) => [...clientsOf(p.update)].some((c) => clients.has(c)));
		if (dependents.length) {
			d.pending = d.pending.filter((p) => !dependents.includes(p));
			for (const p of dependents) this.#enqueue(d.name, () => this.#store.dropPending(d.name, p.writeId));
		}
		this.#rebuild(d);
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
			for (const w of d.pending) {
				if (d.sent.has(w.writeId)) inFlight.set(w.writeId, w.update);
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
							this.#send(writeAwareness(d.name, encodeAwarenessUpdate(d.awareness, [d.awareness.clientID])));
						}
					}
				}
				this.emit('access', { doc: f.doc, role: f.role });
				break;
			}
			case MessageType.Sync: {
				if (!d || f.syncType === SyncType.Step1) break; // the server never asks; ignore
				Y.applyUpdate(d.ydoc, f.data, this);
				// a copy: f.data is a view into the frame, and the parts keep what they are given
				const update = f.data.slice();
				d.serverState.push(update);
				this.#enqueue(f.doc, () => this.#store.mergeServerState(f.doc, update));
				break;
			}
			case MessageType.Ack: {
				const revoked = this.#revokedInFlight.get(f.doc);
				if (revoked?.delete(f.writeId)) break;
				if (d) {
					const i = d.pending.findIndex((w) => w.writeId === f.writeId);
					if (i >= 0) {
						const [w] = d.pending.splice(i, 1);
						d.serverState.push(w.update);
					}
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
				const i = d.pending.findIndex((w) => w.writeId === f.writeId);
				if (i < 0) break; // superseded (carried over after an earlier refusal) or already settled
				// a clock gap behind an earlier unsettled write of ours is that write's doing: wait for it
				if (RETRYABLE.has(f.reason) || (f.reason === ReasonCode.ClockGap && i > 0)) {
					d.sent.delete(f.writeId);
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
