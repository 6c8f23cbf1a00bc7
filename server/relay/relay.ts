// The relay's core: socket lifecycle, authorization on open, the write validator and durable
// acknowledgements, wiring its parts by job: rooms.ts (loading, unloading), persistence.ts (storing,
// compaction), fan-out.ts, presence.ts, access-refresh.ts. It takes a minimal socket interface, so
// it is testable without one; server/sync-endpoint.ts adapts WebSockets to it.
import * as Y from 'yjs';
import { parseDocName, type DocRef } from '../../src/lib/shared/doc-names.ts';
import {
	AccessRole,
	CloseCode,
	MessageType,
	ReasonCode,
	SyncType,
	readFrame,
	writeAccess,
	writeAck,
	writeAwareness,
	writeError,
	writeNack,
	writePong,
	writeSyncStep2,
	type Frame
} from '../../src/lib/shared/protocol.ts';
import { SYSTEM_ACTOR, validateWrite } from '../../src/lib/shared/write-validator.ts';
import { WriteBudgets, type BudgetLimits } from './byte-budget.ts';
import { GrantInterner, type AccessResolver, type DocAccess } from './access.ts';
import { decideAccess, refreshMembers, type AccessFilter } from './access-refresh.ts';
import { readAwarenessUpdate, writeAwarenessUpdate } from './awareness.ts';
import { Connection, type ConnectionIdentity, type RelaySocket, type Subscription } from './connection.ts';
import type { ClusterHost, ClusterNode, ClusterVerdict, ClusterWrite } from './cluster.ts';
import type { DocStorage, MergeParts } from './doc-store.ts';
import { FanOut } from './fan-out.ts';
import { Merger } from './merger.ts';
import { Persistence } from './persistence.ts';
import { acceptPresence, acceptRemotePresence, expireRemotePresence, presenceAudience, presenceSnapshot, removePresenceOf } from './presence.ts';
import type { Room } from './room.ts';
import { Rooms } from './rooms.ts';

export type { AccessFilter } from './access-refresh.ts';
export { MAX_PRESENCE_PER_CONNECTION } from './presence.ts';

/** Limits that protect the relay and the other clients from one client. */
/** The byte budgets (byte-budget.ts) are part of these. */
export interface RelayLimits extends BudgetLimits {
	/** Largest frame accepted, in bytes (the endpoint also gives it to `ws` as maxPayload). */
	maxFrameBytes: number;
	/** Largest update accepted in a write. */
	maxUpdateBytes: number;
	/** Messages per second a connection may send, sustained, and its burst. */
	messagesPerSecond: number;
	messageBurst: number;
	/** A client whose unsent bytes exceed this is dropped, so it cannot hold up the room. */
	maxBufferedBytes: number;
	/** Sockets one session may have open at once (a tab uses one); the next is closed with 4409. */
	maxSocketsPerSession: number;
	/** Documents one connection may have open. */
	maxSubscriptions: number;
	/**
	 * Stored bytes a write may take a document to (`document-full` past it); a guest's writes stop
	 * at the lower guestMaxDocBytes, so members can still clean up what a guest filled.
	 */
	maxDocBytes: number;
	guestMaxDocBytes: number;
	/** Bytes of received frames a connection may have waiting to be handled (frames are handled in order). */
	maxQueuedBytes: number;
	/** A document with no subscribers for this long is unloaded (compacted first if it changed). */
	idleUnloadMs: number;
	/** Fold the log into the snapshot once a document has this many log rows (and once it is quiet: compactQuietMs). */
	compactAfterRows: number;
	/**
	 * A due compaction waits until the document has had no write for this long: merging and
	 * rewriting a large snapshot in the middle of a burst would delay that burst's messages.
	 * A log 16 times the row threshold and twice the snapshot's size is compacted anyway.
	 */
	compactQuietMs: number;
	/** Presence from another node not renewed for this long is dropped (its node died); clients renew every 15 s. */
	remotePresenceTtlMs: number;
}

export const defaultLimits: RelayLimits = {
	maxFrameBytes: 1024 * 1024,
	maxUpdateBytes: 256 * 1024,
	messagesPerSecond: 200,
	messageBurst: 1000,
	maxBufferedBytes: 8 * 1024 * 1024,
	maxSocketsPerSession: 20,
	maxSubscriptions: 1000,
	writeBytesPerSecond: 1024 * 1024,
	writeByteBurst: 8 * 1024 * 1024,
	userWriteBytesPerSecond: 2 * 1024 * 1024,
	userWriteByteBurst: 16 * 1024 * 1024,
	guestWriteBytesPerSecond: 128 * 1024,
	guestWriteByteBurst: 1024 * 1024,
	maxDocBytes: 64 * 1024 * 1024,
	guestMaxDocBytes: 16 * 1024 * 1024,
	maxQueuedBytes: 16 * 1024 * 1024,
	idleUnloadMs: 30_000,
	compactAfterRows: 500,
	compactQuietMs: 2000,
	remotePresenceTtlMs: 35_000
};

const SETTLED = Promise.resolve();

export interface RelayOptions {
	/** Who may open and write what: the app answers from its database (src/lib/server/relay-access.ts). */
	access: AccessResolver;
	/**
	 * Durable storage for documents, given the relay's merge (it runs large merges off the event
	 * loop) to merge a snapshot with its log: DocStore over libsql, or PgDocStore for several nodes.
	 */
	store: (merge: MergeParts) => DocStorage;
	limits?: Partial<RelayLimits>;
	log?: (message: string) => void;
	/**
	 * Called after a client's write is stored (not for server edits): the app's side effects such as
	 * mention notifications hang here, outside the relay's core. Must not throw; its result is ignored.
	 */
	onAccepted?: (doc: string, update: Uint8Array, actorId: string, relay: Relay) => void;
	/**
	 * Called by persistence.ts after any update is stored, a client's write or a server edit (the
	 * search index marks the document dirty). Runs on the commit path: it must be cheap and not throw.
	 */
	onCommitted?: (doc: string, update: Uint8Array) => void;
	/**
	 * Called by close() once no client is connected and every accepted write is stored, while server
	 * edits still work: the app finishes what onAccepted started (inbox activity, notifications).
	 */
	beforeClose?: (relay: Relay) => Promise<void>;
	/**
	 * Several nodes over one store (REDIS_URL): each document has one owner node that validates and
	 * commits; the others forward their clients' writes to it and follow its stream (cluster.ts).
	 * Without it nothing of that runs: the single-node path is the default.
	 */
	cluster?: ClusterNode;
}

/** A client id no write in this room has used yet. */
function freshClientId(room: Room): number {
	let id: number;
	do id = Math.floor(Math.random() * 0x7fffffff) + 1;
	while (room.isBound(id));
	return id;
}

export class Relay {
	readonly limits: RelayLimits;
	readonly store: DocStorage;
	#access: AccessResolver;
	#grants = new GrantInterner();
	#rooms: Rooms;
	#connections = new Set<Connection>();
	/** Open sockets per session id, for maxSocketsPerSession. */
	#sessionSockets = new Map<string, number>();
	#persistence: Persistence;
	#fanOut = new FanOut((conn, doc, frame) => this.#sendDoc(conn, doc, frame));
	#budgets: WriteBudgets;
	#merger = new Merger();
	#sweep: NodeJS.Timeout;
	#log: (message: string) => void;
	#onAccepted: RelayOptions['onAccepted'];
	#cluster: ClusterNode | null;
	#beforeClose: RelayOptions['beforeClose'];
	#closed = false;
	/** Bumped by every access refresh, so a document opened meanwhile decides its access again. */
	#accessEpoch = 0;

	constructor(options: RelayOptions) {
		this.#access = options.access;
		this.limits = { ...defaultLimits, ...options.limits };
		this.#budgets = new WriteBudgets(this.limits);
		this.store = options.store((parts) => this.#merger.merge(parts));
		this.#log = options.log ?? ((message) => console.log(`[relay] ${message}`));
		this.#onAccepted = options.onAccepted;
		this.#beforeClose = options.beforeClose;
		this.#cluster = options.cluster ?? null;
		const cluster = this.#cluster;
		const onCommitted = options.onCommitted;
		this.#persistence = cluster
			? new Persistence(
					this.store,
					this.limits,
					this.#log,
					(doc, update, id) => {
						onCommitted?.(doc, update);
						if (id !== undefined) cluster.published(doc, id, update);
					},
					true
				)
			: new Persistence(this.store, this.limits, this.#log, onCommitted);
		this.#rooms = new Rooms(this.store, this.#access, this.#merger, this.#persistence, this.#log, cluster);
		cluster?.bind(this.#clusterHost(), this.store);
		this.#sweep = setInterval(
			() => {
				this.#budgets.prune();
				if (cluster) this.#expireRemotePresence();
				void this.#rooms.unloadIdle(this.limits.idleUnloadMs);
			},
			Math.max(1000, Math.min(this.limits.idleUnloadMs, this.limits.remotePresenceTtlMs) / 3)
		);
		this.#sweep.unref();
	}

	// ---- socket lifecycle -------------------------------------------------------------------

	handleSocketConnect(socket: RelaySocket, identity: ConnectionIdentity): Connection {
		const conn = new Connection(socket, identity, this.limits.messagesPerSecond, this.limits.messageBurst);
		// without a cap one session could hold hundreds of sockets, each with its own message budget
		const open = this.#sessionSockets.get(identity.sessionId) ?? 0;
		if (open >= this.limits.maxSocketsPerSession) {
			conn.closed = true; // never counted: its close event finds nothing to release
			socket.close(CloseCode.TooManySockets.code, CloseCode.TooManySockets.reason);
			return conn;
		}
		this.#sessionSockets.set(identity.sessionId, open + 1);
		this.#connections.add(conn);
		return conn;
	}

	/** Takes one message as received; text frames and undecodable bytes end the connection. */
	handleSocketMessage(conn: Connection, data: Uint8Array | string): void {
		if (conn.closed) return;
		if (typeof data === 'string') return this.#drop(conn, CloseCode.ProtocolError, 'text frames are not part of the protocol');
		if (data.byteLength > this.limits.maxFrameBytes) return this.#drop(conn, CloseCode.FrameTooLarge);
		const frame = readFrame(data);
		if (!frame) return this.#drop(conn, CloseCode.ProtocolError, 'frame could not be decoded');
		if (!conn.take()) {
			conn.violations++;
			if (conn.violations > this.limits.messageBurst) return this.#drop(conn, CloseCode.RateLimited);
			if (frame.type === MessageType.Write)
				this.#send(conn, writeNack(frame.doc, frame.writeId, ReasonCode.RateLimited, 'Too many messages; this change was not saved, send it again'));
			return;
		}
		// answered at once, not behind frames waiting on the database: the client measures the socket, not the disk
		if (frame.type === MessageType.Ping) return this.#send(conn, writePong());
		// The rate limit counts messages, not bytes: while a frame waits on the database the ones behind it
		// are held in memory, so the bytes a connection may have waiting are capped too.
		const size = data.byteLength;
		if (conn.queuedBytes + size > this.limits.maxQueuedBytes) return this.#drop(conn, CloseCode.RateLimited);
		conn.queuedBytes += size;
		conn.chain = conn.chain
			.then(() => this.#handleFrame(conn, frame))
			.catch((error) => {
				this.#log(`error handling a frame from user ${conn.identity.userId}: ${String(error?.stack ?? error)}`);
				this.#send(conn, writeError(frame.doc, ReasonCode.ServerError, 'The server could not handle this message'));
			})
			.finally(() => {
				conn.queuedBytes -= size;
				// an idle connection keeps a shared settled promise, not its last frame's
				if (conn.queuedBytes === 0) conn.chain = SETTLED;
			});
	}

	handleSocketClose(conn: Connection): void {
		if (!this.#connections.delete(conn)) return;
		conn.closed = true;
		const open = (this.#sessionSockets.get(conn.identity.sessionId) ?? 1) - 1;
		if (open > 0) this.#sessionSockets.set(conn.identity.sessionId, open);
		else this.#sessionSockets.delete(conn.identity.sessionId);
		for (const doc of conn.subs.keys()) this.#unsubscribe(conn, doc);
	}

	async #handleFrame(conn: Connection, frame: Frame): Promise<void> {
		if (conn.closed) return;
		switch (frame.type) {
			case MessageType.Sync:
				if (frame.syncType === SyncType.Step1) return this.#subscribe(conn, frame.doc, frame.data);
				// Clients write through Write frames, which are acknowledged; plain sync updates are not accepted.
				this.#send(conn, writeError(frame.doc, ReasonCode.Forbidden, 'Send changes as write messages'));
				return;
			case MessageType.Write:
				return this.#write(conn, frame.doc, frame.writeId, frame.update);
			case MessageType.Awareness:
				return this.#awareness(conn, frame.doc, frame.data);
			case MessageType.Unsubscribe:
				this.#unsubscribe(conn, frame.doc);
				return;
			default:
				// Ack, Nack, Access and Error only travel from the server
				this.#drop(conn, CloseCode.ProtocolError, 'that message type is sent by the server only');
		}
	}

	// ---- opening documents ------------------------------------------------------------------

	async #subscribe(conn: Connection, doc: string, clientStateVector: Uint8Array): Promise<void> {
		const ref = parseDocName(doc);
		const refused = () => {
			if (conn.subs.has(doc)) this.#unsubscribe(conn, doc);
			this.#send(conn, writeAccess(doc, AccessRole.None));
		};
		let epoch = this.#accessEpoch;
		// unknown and forbidden names get the same answer
		let access = ref ? await this.#docAccess(conn.identity.userId, ref) : null;
		if (conn.closed) return;
		if (!ref || !access || access.role === 'none') return refused();
		if (!conn.subs.has(doc) && conn.subs.size >= this.limits.maxSubscriptions) {
			this.#send(conn, writeError(doc, ReasonCode.TooLarge, `At most ${this.limits.maxSubscriptions} documents may be open at once`));
			return;
		}
		const room = await this.#rooms.open(doc, ref, access.orgId);
		// An access change (refreshAccess) that ran while the facts were read or the room loaded could not
		// see this subscription yet: decide again, or a user revoked meanwhile would stay subscribed.
		while (epoch !== this.#accessEpoch && !conn.closed) {
			epoch = this.#accessEpoch;
			access = await this.#docAccess(conn.identity.userId, ref);
			if (access.role === 'none') return conn.closed ? undefined : refused();
		}
		if (conn.closed) return;
		// Subscribed from here on, so no update accepted from now on can be missed; what it receives
		// before its step 2 (the merge below may run on the worker) waits in `opening`.
		// the room's parsed name, not this request's copy: one per document, not one per subscriber
		const sub: Subscription = { ref: room.ref, access, opening: [] };
		conn.subs.set(doc, sub);
		room.join(conn);
		this.#send(conn, writeAccess(doc, access.role));
		let diff: Uint8Array;
		try {
			diff = await room.missingFor(clientStateVector);
		} catch {
			if (conn.subs.get(doc) === sub) this.#unsubscribe(conn, doc);
			this.#send(conn, writeError(doc, ReasonCode.Malformed, 'The state vector could not be decoded'));
			return;
		}
		// closed, unsubscribed or revoked meanwhile
		if (conn.closed || conn.subs.get(doc) !== sub) return;
		const waiting = sub.opening ?? [];
		sub.opening = null;
		this.#send(conn, writeSyncStep2(doc, diff), true);
		for (const frame of waiting) this.#send(conn, frame);
		if (access.lane.presence && (room.presence.size > 0 || room.remotePresence.size > 0))
			this.#send(conn, writeAwareness(doc, writeAwarenessUpdate(presenceSnapshot(room))));
	}

	#unsubscribe(conn: Connection, doc: string): void {
		if (!conn.subs.delete(doc)) return;
		const room = this.#rooms.get(doc);
		if (!room) return;
		room.leave(conn);
		// presence of a connection that left is removed for everyone else
		const gone = removePresenceOf(room, conn);
		if (gone.length > 0) this.#broadcastPresence(room, writeAwarenessUpdate(gone), conn);
	}

	// ---- writes -----------------------------------------------------------------------------

	async #write(conn: Connection, doc: string, writeId: number, update: Uint8Array): Promise<void> {
		const sub = conn.subs.get(doc);
		const room = this.#rooms.get(doc);
		if (!sub || !room) {
			this.#send(conn, writeNack(doc, writeId, ReasonCode.NotSubscribed, 'Open the document before writing to it'));
			return;
		}
		const actorId = conn.identity.userId;
		// size cap and byte budget before validating: a refused write spends nothing and changes nothing
		const guest = sub.access.role === AccessRole.Guest;
		const cap = guest ? this.limits.guestMaxDocBytes : this.limits.maxDocBytes;
		if (room.byteSize() + update.byteLength > cap) {
			this.#send(conn, writeNack(doc, writeId, ReasonCode.DocumentFull, `This document is at its size limit (${cap >> 20} MiB); this change was not saved`));
			return;
		}
		if (!this.#budgets.charge(conn, actorId, guest, update.byteLength)) {
			this.#send(conn, writeNack(doc, writeId, ReasonCode.QuotaExceeded, 'Too many bytes written; this change was not saved, send it again in a moment'));
			return;
		}
		if (this.#cluster && room.replica) {
			const handled = await this.#forwardWrite(conn, room, writeId, update);
			if (handled) return;
		}
		const verdict = validateWrite(room.index(), update, {
			actorId,
			lane: sub.ref.lane,
			canWrite: sub.access.lane.write,
			canModerate: sub.access.lane.moderate === true,
			actorName: conn.identity.name,
			isMember: (userId) => room.members?.has(userId) ?? false,
			labelExists: (labelId) => room.labels?.hasRecord('labels', labelId) ?? false,
			maxUpdateBytes: this.limits.maxUpdateBytes
		});
		if (!verdict.ok) {
			this.#send(conn, writeNack(doc, writeId, verdict.reason, verdict.message));
			return;
		}
		if (verdict.duplicate) {
			// already known: acknowledge once everything queued before it (perhaps the original) is stored
			this.#persistence.queue.push(null, () => this.#send(conn, writeAck(doc, writeId)));
			return;
		}
		room.accept(verdict.update, actorId, verdict.newBindings);
		// fan-out first: it is scheduled before the commit, so the commit's work never delays it
		this.#fanOut.forward(room, verdict.update, conn);
		this.#persistence.persist(
			room,
			verdict.update,
			actorId,
			verdict.newBindings,
			() => {
				this.#send(conn, writeAck(doc, writeId));
				this.#accepted(doc, verdict.update, actorId);
			},
			// several nodes: another node claimed the document before this commit; nothing was stored
			() => this.#send(conn, writeNack(doc, writeId, ReasonCode.ServerError, 'This change was not saved; send it again'))
		);
	}

	#accepted(doc: string, update: Uint8Array, actorId: string): void {
		try {
			this.#onAccepted?.(doc, update, actorId, this);
		} catch (error) {
			this.#log(`onAccepted failed for ${doc}: ${String(error)}`);
		}
	}

	/**
	 * A replica's write: the owner validates and commits it, and its stream brings it back to this
	 * room. False when this node became the owner meanwhile (the caller validates it here).
	 */
	async #forwardWrite(conn: Connection, room: Room, writeId: number, update: Uint8Array): Promise<boolean> {
		room.forwarding++;
		let result: ClusterVerdict | { kind: 'owner' };
		try {
			result = await this.#cluster!.forward({ doc: room.name, userId: conn.identity.userId, name: conn.identity.name, update });
		} finally {
			room.forwarding--;
		}
		if (result.kind === 'owner') return false;
		if (result.kind === 'ack') {
			// the owner's stream brings it too; applied now, this node's readers need not wait for it
			room.accept(update, conn.identity.userId, []);
			this.#fanOut.forward(room, update, conn);
			this.#send(conn, writeAck(room.name, writeId));
		} else {
			this.#send(conn, writeNack(room.name, writeId, result.reason as ReasonCode, result.message ?? 'This change was not saved'));
		}
		return true;
	}

	/** The owner's side of a forwarded write: the same checks as a local one, access decided here. */
	async #handleForwarded(write: ClusterWrite): Promise<ClusterVerdict> {
		// not a ReasonCode: the origin node retries it (ReasonCode.NotOwner is the validator's refusal)
		const notOwner: ClusterVerdict = { kind: 'nack', reason: 'moved' };
		const room = this.#rooms.get(write.doc);
		if (!room || room.replica || this.#cluster?.tokenOf(write.doc) === undefined) return notOwner;
		const system = write.userId === SYSTEM_ACTOR;
		let update = write.update;
		let newBindings: Array<[number, string]>;
		if (system) {
			// a server edit made on another node: trusted as serverEdit is; its fresh client id is bound to the server
			newBindings = [...Y.parseUpdateMeta(update).from.keys()].filter((client) => !room.isBound(client)).map((client) => [client, SYSTEM_ACTOR]);
		} else {
			const access = await this.#docAccess(write.userId, room.ref);
			if (access.role === 'none') return { kind: 'nack', reason: ReasonCode.Forbidden, message: 'You do not have access to this document' };
			const cap = access.role === AccessRole.Guest ? this.limits.guestMaxDocBytes : this.limits.maxDocBytes;
			if (room.byteSize() + update.byteLength > cap)
				return { kind: 'nack', reason: ReasonCode.DocumentFull, message: `This document is at its size limit (${cap >> 20} MiB); this change was not saved` };
			const verdict = validateWrite(room.index(), update, {
				actorId: write.userId,
				lane: room.ref.lane,
				canWrite: access.lane.write,
				canModerate: access.lane.moderate === true,
				actorName: write.name ?? '',
				isMember: (userId) => room.members?.has(userId) ?? false,
				labelExists: (labelId) => room.labels?.hasRecord('labels', labelId) ?? false,
				maxUpdateBytes: this.limits.maxUpdateBytes
			});
			if (!verdict.ok) return { kind: 'nack', reason: verdict.reason, message: verdict.message };
			if (verdict.duplicate) return new Promise((resolve) => this.#persistence.queue.push(null, () => resolve({ kind: 'ack' })));
			update = verdict.update;
			newBindings = verdict.newBindings;
		}
		if (this.#rooms.get(write.doc) !== room || room.replica) return notOwner;
		room.accept(update, write.userId, newBindings);
		this.#fanOut.forward(room, update, null);
		return new Promise((resolve) =>
			this.#persistence.persist(
				room,
				update,
				write.userId,
				newBindings,
				() => {
					if (!system) this.#accepted(write.doc, update, write.userId);
					resolve({ kind: 'ack' });
				},
				() => resolve(notOwner)
			)
		);
	}

	/** What the cluster node may ask of this relay (cluster.ts). */
	#clusterHost(): ClusterHost {
		return {
			handleForwarded: (write) => this.#handleForwarded(write),
			applyRemote: (doc, update) => {
				const room = this.#rooms.get(doc);
				if (!room || !room.replica) return;
				room.accept(update, SYSTEM_ACTOR, []);
				this.#fanOut.forward(room, update, null);
			},
			promote: async (doc) => {
				const room = this.#rooms.get(doc);
				if (!room) return;
				room.becomeOwner(await this.store.load(doc));
			},
			demote: (doc) => {
				const room = this.#rooms.get(doc);
				if (room) room.replica = true;
			},
			remotePresence: (doc, node, data) => {
				const room = this.#rooms.get(doc);
				const entries = room ? readAwarenessUpdate(data) : null;
				if (!room || !entries) return;
				acceptRemotePresence(room, node, entries, Date.now());
				this.#sendPresence(room, writeAwareness(doc, data));
			}
		};
	}

	#sendPresence(room: Room, frame: Uint8Array): void {
		for (const conn of room.subscribers) if (conn.subs.get(room.name)?.access.lane.presence) this.#sendDoc(conn, room.name, frame);
	}

	/** Tells this node's sockets that presence held by a node that went silent is gone. */
	#expireRemotePresence(): void {
		const now = Date.now();
		for (const room of this.#rooms.values()) {
			if (room.remotePresence.size === 0) continue;
			const gone = expireRemotePresence(room, now, this.limits.remotePresenceTtlMs);
			if (gone.length > 0) this.#sendPresence(room, writeAwareness(room.name, writeAwarenessUpdate(gone)));
		}
	}

	/**
	 * Applies a change made by the server itself (inbound mail, system events, inbox entries) and
	 * resolves once it is stored. Server writes are trusted: they are not run through the validator.
	 */
	async serverEdit(doc: string, edit: (ydoc: Y.Doc) => void): Promise<void> {
		const ref = parseDocName(doc);
		if (!ref) throw new Error(`not a document name: ${doc}`);
		const room = await this.#rooms.open(doc, ref, null);
		const ydoc = new Y.Doc({ gc: false });
		Y.applyUpdate(ydoc, await room.stateAsync());
		// a replica may not know the server's latest clock in this document: a fresh client id
		// cannot collide with one the owner has seen (several nodes)
		const replica = this.#cluster !== null && room.replica;
		ydoc.clientID = replica ? freshClientId(room) : room.serverClientId();
		const updates: Uint8Array[] = [];
		ydoc.on('update', (update: Uint8Array) => updates.push(update));
		ydoc.transact(() => edit(ydoc));
		ydoc.destroy();
		if (updates.length === 0) return;
		const update = updates.length === 1 ? updates[0] : Y.mergeUpdates(updates);
		if (replica && (await this.#serverEditForwarded(room, update))) return;
		const newBindings: Array<[number, string]> = room.isBound(ydoc.clientID) ? [] : [[ydoc.clientID, SYSTEM_ACTOR]];
		room.accept(update, SYSTEM_ACTOR, newBindings);
		let stored = await new Promise<boolean>((resolve) =>
			this.#persistence.persist(room, update, SYSTEM_ACTOR, newBindings, () => resolve(true), () => resolve(false))
		);
		// several nodes: another node claimed the document meanwhile; it stores the edit instead
		if (!stored) stored = await this.#serverEditForwarded(room, update, true);
		if (!stored) throw new Error(`could not store a server edit of ${doc}`);
		this.#fanOut.forward(room, update, null);
	}

	/** A server edit on a replica goes to the owner; false when this node owns the document after all. */
	async #serverEditForwarded(room: Room, update: Uint8Array, applied = false): Promise<boolean> {
		room.forwarding++;
		try {
			for (;;) {
				const result = await this.#cluster!.forward({ doc: room.name, userId: SYSTEM_ACTOR, update });
				if (result.kind === 'ack') break;
				if (result.kind === 'owner') {
					if (!applied) return false;
					// owner again after a takeover: store it here (it is already in the room)
					const bindings: Array<[number, string]> = [...Y.parseUpdateMeta(update).from.keys()].filter((c) => !room.isBound(c)).map((c) => [c, SYSTEM_ACTOR]);
					const ok = await new Promise<boolean>((resolve) => this.#persistence.persist(room, update, SYSTEM_ACTOR, bindings, () => resolve(true), () => resolve(false)));
					if (ok) return true;
					continue;
				}
				throw new Error(`the owner of ${room.name} refused a server edit: ${result.reason}`);
			}
		} finally {
			room.forwarding--;
		}
		if (!applied) {
			room.accept(update, SYSTEM_ACTOR, []);
			this.#fanOut.forward(room, update, null);
		}
		return true;
	}

	/** Whether any connection has the document open now. */
	hasSubscribers(doc: string): boolean {
		return (this.#rooms.get(doc)?.subscribers.size ?? 0) > 0;
	}

	/** The stored state of a document as one update (loads it if needed). */
	async readState(doc: string): Promise<Uint8Array> {
		const ref = parseDocName(doc);
		if (!ref) throw new Error(`not a document name: ${doc}`);
		const loaded = await this.#rooms.loadedOrLoading(doc);
		if (loaded) return loaded.stateAsync();
		// a read (notifications reading assignees, tests) does not keep the document in memory
		return (await this.store.load(doc)).state;
	}

	/** The app's answer on (userId, ref), as the relay's one shared copy of that grant. */
	async #docAccess(userId: string, ref: DocRef): Promise<DocAccess> {
		return this.#grants.intern(await this.#access.docAccess(userId, ref));
	}

	// ---- presence ---------------------------------------------------------------------------

	#awareness(conn: Connection, doc: string, data: Uint8Array): void {
		const sub = conn.subs.get(doc);
		const room = this.#rooms.get(doc);
		if (!sub || !room || !sub.access.lane.presence) return; // presence only where the grant allows it
		const entries = readAwarenessUpdate(data);
		if (!entries) {
			this.#send(conn, writeError(doc, ReasonCode.Malformed, 'Presence update could not be decoded'));
			return;
		}
		const accepted = acceptPresence(room, conn, sub, entries);
		if (accepted.length > 0) this.#broadcastPresence(room, writeAwarenessUpdate(accepted), conn);
	}

	/** Presence stamped here goes to this room's other sockets and, with several nodes, to the other nodes. */
	#broadcastPresence(room: Room, data: Uint8Array, from: Connection): void {
		const frame = writeAwareness(room.name, data);
		for (const conn of presenceAudience(room, from)) this.#sendDoc(conn, room.name, frame);
		this.#cluster?.presence(room.name, data);
	}

	// ---- access changes ---------------------------------------------------------------------

	/**
	 * Re-decides access for open subscriptions (role change, guest revoked, guests turned off) and
	 * applies it at once: a subscription that lost access is dropped and its client told to delete it.
	 */
	async refreshAccess(filter: AccessFilter = {}): Promise<void> {
		// opens in flight re-decide their access when this changes (see #subscribe)
		this.#accessEpoch++;
		await refreshMembers(this.#rooms.values(), filter, this.#access);
		// decide every affected subscription first (see decideAccess), then apply all in one synchronous step
		const decided = await decideAccess(this.#connections, filter, (userId, ref) => this.#docAccess(userId, ref));
		for (const { conn, doc, sub, access } of decided) {
			if (conn.closed || conn.subs.get(doc) !== sub) continue;
			if (access.role === 'none') {
				this.#unsubscribe(conn, doc);
				this.#send(conn, writeAccess(doc, AccessRole.None));
			} else if (access.role !== sub.access.role || access.lane.write !== sub.access.lane.write) {
				sub.access = access;
				this.#send(conn, writeAccess(doc, access.role));
			} else {
				sub.access = access; // e.g. moderation gained or lost with an org role: nothing the client is told
			}
		}
	}

	/** Closes the sockets of ended sessions (sign-out, sign-out everywhere). */
	endSessions(filter: { sessionId?: string; userId?: string }): void {
		for (const conn of [...this.#connections]) {
			if (filter.sessionId && conn.identity.sessionId !== filter.sessionId) continue;
			if (filter.userId && conn.identity.userId !== filter.userId) continue;
			if (!filter.sessionId && !filter.userId) continue;
			this.#drop(conn, CloseCode.Unauthorized);
		}
	}

	// ---- sending, dropping, housekeeping ------------------------------------------------------

	/** Sends a document's traffic, held back while the subscription waits for its step 2. */
	#sendDoc(conn: Connection, doc: string, frame: Uint8Array): void {
		const opening = conn.subs.get(doc)?.opening;
		if (opening) opening.push(frame);
		else this.#send(conn, frame);
	}

	/**
	 * Sends a frame, dropping a client whose unsent bytes are over maxBufferedBytes. The unsent rest
	 * of its latest step 2 (`opening`: up to maxDocBytes) is not held against it: a large document
	 * takes a while to arrive, and a reader that never reads still trips the limit on live traffic.
	 */
	#send(conn: Connection, frame: Uint8Array, opening = false): void {
		if (conn.closed) return;
		if (conn.unsentBeyondOpening(this.limits.maxDocBytes) > this.limits.maxBufferedBytes) {
			this.#drop(conn, CloseCode.TooSlow);
			return;
		}
		conn.sent(frame.byteLength, opening);
		conn.socket.send(frame);
	}

	#drop(conn: Connection, close: CloseCode, detail?: string): void {
		if (conn.closed) return;
		if (detail) conn.socket.send(writeError('', ReasonCode.Malformed, detail));
		conn.socket.close(close.code, close.reason);
		this.handleSocketClose(conn);
	}

	/** Counts for tests and the benchmark. */
	stats(): { rooms: number; connections: number; queued: number } {
		return { rooms: this.#rooms.size, connections: this.#connections.size, queued: this.#persistence.queue.size };
	}

	/** How many parts a loaded document's state is held in (tests: merging keeps this small). */
	partCount(doc: string): number | null {
		return this.#rooms.get(doc)?.partCount ?? null;
	}

	/** Unloads every idle room now (tests and benchmarks; normally a timer does this). */
	async unloadIdleNow(): Promise<void> {
		const idle = this.limits.idleUnloadMs;
		this.limits.idleUnloadMs = -1;
		try {
			await this.#rooms.unloadIdle(this.limits.idleUnloadMs);
		} finally {
			this.limits.idleUnloadMs = idle;
		}
	}

	/** Waits until every accepted update is stored. */
	drain(): Promise<void> {
		return this.#persistence.queue.drain();
	}

	async close(): Promise<void> {
		if (this.#closed) return;
		this.#closed = true;
		clearInterval(this.#sweep);
		for (const conn of [...this.#connections]) this.#drop(conn, CloseCode.GoingAway);
		await this.#persistence.queue.drain();
		try {
			await this.#beforeClose?.(this);
		} catch (error) {
			this.#log(`finishing work before closing failed: ${String(error)}`);
		}
		await this.#persistence.queue.drain();
		// fold what changed into snapshots, so the next start opens documents from one row each
		for (const room of this.#rooms.values()) {
			if (room.compactTimer) clearTimeout(room.compactTimer);
			if (room.logRows === 0 || room.compacting) continue;
			await this.#persistence.compact(room).catch((error) => this.#log(`compacting ${room.name} failed: ${String(error)}`));
		}
		this.#persistence.queue.close();
		await this.#cluster?.stop().catch((error) => this.#log(`leaving the cluster failed: ${String(error)}`));
		await this.#merger.close();
	}
}
