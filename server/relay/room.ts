// One document held by the relay: its bytes (not a live Y.Doc), the validator's small index, the
// connections subscribed to it, and their presence.
import * as Y from 'yjs';
import type { DocRef } from '../../src/lib/shared/doc-names.ts';
import { createDocIndex, indexUpdate, type DocIndex } from '../../src/lib/shared/write-validator.ts';
import type { Connection } from './connection.ts';

/** The user id the server's own writes are bound to. */
export const SYSTEM_USER = 'system';

interface PresenceState {
	clock: number;
	state: string;
	conn: Connection;
}

export class Room {
	readonly name: string;
	readonly ref: DocRef;
	readonly subscribers = new Set<Connection>();
	/** Presence by Yjs client id; a client id belongs to the connection that first used it here. */
	readonly presence = new Map<number, PresenceState>();
	/** Updates accepted this event-loop turn, to be sent to subscribers as one frame. */
	outgoing: Array<{ update: Uint8Array; from: Connection | null }> = [];
	/** Log rows not yet folded into the snapshot. */
	logRows: number;
	/** Bytes of the log rows not yet folded, and of the snapshot they will be folded into. */
	logBytes = 0;
	snapshotBytes = 0;
	/** A compaction of this room is running. */
	compacting = false;
	/** Writes accepted but not yet committed. */
	uncommitted = 0;
	lastActive = Date.now();
	/** For conversation documents: the organization (label and member lookups). */
	orgId: string | null = null;
	/** For `internal`: ids of the organization's members (assignees must be members). */
	members: Set<string> | null = null;
	/** For `internal`: the organization's label definitions document, kept loaded with this one. */
	labels: Room | null = null;
	/** Rooms that keep this one loaded (an org's labels room while its internal rooms are loaded). */
	pins = 0;

	#parts: Uint8Array[];
	#bindings: Map<number, string>;
	#index: DocIndex | null = null;

	constructor(name: string, ref: DocRef, state: Uint8Array, bindings: Map<number, string>, logRows: number) {
		this.name = name;
		this.ref = ref;
		this.#parts = [state];
		this.snapshotBytes = state.byteLength;
		this.#bindings = bindings;
		this.logRows = logRows;
	}

	/** The whole document as one update (merged lazily: accepting a write only appends). */
	state(): Uint8Array {
		if (this.#parts.length > 1) this.#parts = [Y.mergeUpdates(this.#parts)];
		return this.#parts[0];
	}

	/** The validator's index, built from the bytes on first use (a read-only room never needs it). */
	index(): DocIndex {
		if (!this.#index) {
			const index = createDocIndex();
			for (const [client, user] of this.#bindings) index.bindings.set(client, user);
			indexUpdate(index, this.state(), SYSTEM_USER);
			this.#index = index;
		}
		return this.#index;
	}

	/** Folds an accepted update into the room. */
	accept(update: Uint8Array, actorId: string, newBindings: Array<[number, string]>): void {
		for (const [client, user] of newBindings) this.#bindings.set(client, user);
		if (this.#index) indexUpdate(this.#index, update, actorId);
		this.#parts.push(update);
		this.lastActive = Date.now();
	}

	/** A client id bound to the server's own writes in this document, or a fresh one. */
	serverClientId(): number {
		for (const [client, user] of this.#bindings) if (user === SYSTEM_USER) return client;
		let id: number;
		do id = Math.floor(Math.random() * 0x7fffffff) + 1;
		while (this.#bindings.has(id));
		return id;
	}

	isBound(clientId: number): boolean {
		return this.#bindings.has(clientId);
	}
}
