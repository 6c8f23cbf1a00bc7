// One open document in the provider: its Y.Doc and presence, what the server confirmed, the local
// writes still pending, and where it stands on the current socket. The provider decides what to
// send and when; this class keeps the state consistent (loading, losing the socket, rebuilding).
import * as Y from 'yjs';
import { Awareness, removeAwarenessStates } from 'y-protocols/awareness';
import { AccessRole } from '../shared/protocol.ts';
import { PendingWrites } from './pending-writes.ts';
import { UpdateParts } from './update-parts.ts';

export interface DocStateHandlers {
	/** A change made to the Y.Doc by the app (not applied by the provider). */
	localUpdate(state: DocState, update: Uint8Array): void;
	/** Presence changed locally; the ids whose state changed. */
	localAwareness(state: DocState, changed: number[]): void;
}

export class DocState {
	readonly name: string;
	ydoc = new Y.Doc();
	readonly awareness: Awareness;
	refs = 1;
	/** The stored replica has been applied. */
	loaded = false;
	/** Local updates made before the stored replica finished loading. */
	early: Uint8Array[] = [];
	/** What the server confirmed, merged lazily: receiving or confirming an update must not cost O(document). */
	serverState = new UpdateParts();
	readonly pending = new PendingWrites();
	/** Sync step 1 sent on the current socket. */
	subscribed = false;
	/** Role granted on the current socket; writes are sent only once granted. */
	role: AccessRole | null = null;
	/** Updates and presence applied with this origin are the provider's own, not the app's. */
	readonly #origin: unknown;
	readonly #onUpdate: (update: Uint8Array, origin: unknown) => void;
	readonly #onAwareness: (change: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => void;

	constructor(name: string, origin: unknown, handlers: DocStateHandlers) {
		this.name = name;
		this.#origin = origin;
		this.awareness = new Awareness(new Y.Doc()); // presence outlives doc resets, so it has its own client id
		this.#onUpdate = (update, o) => {
			if (o !== origin) handlers.localUpdate(this, update);
		};
		this.#onAwareness = ({ added, updated, removed }, o) => {
			if (o !== origin) handlers.localAwareness(this, [...added, ...updated, ...removed]);
		};
		this.ydoc.on('update', this.#onUpdate);
		this.awareness.on('update', this.#onAwareness);
	}

	/** Granted a role that may receive and send (not `none`) on the current socket. */
	get granted(): boolean {
		return this.role !== null && this.role !== AccessRole.None;
	}

	/** Local changes the server has not acknowledged. */
	get unacknowledged(): number {
		return this.pending.length + this.early.length;
	}

	/** Applies the stored replica: confirmed state, then the pending writes on top. */
	load(stored: { serverState: Uint8Array | null; pending: Array<{ writeId: number; update: Uint8Array }> }): void {
		this.serverState = new UpdateParts();
		if (stored.serverState) this.serverState.push(stored.serverState);
		this.pending.load(stored.pending);
		Y.transact(
			this.ydoc,
			() => {
				if (stored.serverState) Y.applyUpdate(this.ydoc, stored.serverState, this.#origin);
				for (const w of stored.pending) Y.applyUpdate(this.ydoc, w.update, this.#origin);
			},
			this.#origin
		);
		this.loaded = true;
	}

	/** The server's state vector, not the replica's: pending writes are not on the server yet. */
	serverStateVector(): Uint8Array {
		// merging here costs O(document) once per (re)subscription, not per update
		return Y.encodeStateVectorFromUpdate(this.serverState.merged());
	}

	/** An update from the server: applied to the replica and to the confirmed state. */
	applyServerUpdate(update: Uint8Array): void {
		Y.applyUpdate(this.ydoc, update, this.#origin);
		this.serverState.push(update);
	}

	/** The socket closed: nothing is subscribed, granted or in flight; other people's presence is gone. */
	connectionLost(): void {
		this.subscribed = false;
		this.role = null;
		this.pending.clearSent();
		const others = [...this.awareness.getStates().keys()].filter((id) => id !== this.awareness.clientID);
		removeAwarenessStates(this.awareness, others, this.#origin);
	}

	/**
	 * Replaces the Y.Doc with server state + remaining pending writes (Yjs cannot un-apply an update).
	 * `replaced` runs before the old Y.Doc is destroyed, so listeners can rebind first.
	 */
	rebuild(replaced: (ydoc: Y.Doc) => void): void {
		const old = this.ydoc;
		const ydoc = new Y.Doc(); // a fresh client id: the old one's clocks include the refused structs
		Y.transact(
			ydoc,
			() => {
				Y.applyUpdate(ydoc, this.serverState.merged(), this.#origin);
				for (const w of this.pending.list()) Y.applyUpdate(ydoc, w.update, this.#origin);
			},
			this.#origin
		);
		old.off('update', this.#onUpdate);
		ydoc.on('update', this.#onUpdate);
		this.ydoc = ydoc;
		replaced(ydoc);
		old.destroy();
	}

	dispose(): void {
		this.ydoc.off('update', this.#onUpdate);
		this.awareness.off('update', this.#onAwareness);
		this.awareness.destroy();
		this.ydoc.destroy();
	}
}
