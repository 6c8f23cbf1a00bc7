// Fan-out: sends each room's accepted updates to its subscribers, one merged frame per room and
// turn, paced by its own cost so a busy room cannot take the whole event loop.
import { writeSyncUpdate } from '../../src/lib/shared/protocol.ts';
import type { Connection } from './connection.ts';
import { mergeMany } from './merger.ts';
import type { Room } from './room.ts';

/** After a fan-out that took t ms the next waits FANOUT_PACING × t ms (see flush). */
const FANOUT_PACING = Number(process.env.PARLEY_FANOUT_PACING) || 2;

export class FanOut {
	#dirty = new Set<Room>();
	#scheduled = false;
	/** Fan-out does not start again before this (performance.now()): see flush. */
	#nextAt = 0;
	#sendDoc: (conn: Connection, doc: string, frame: Uint8Array) => void;

	/** `sendDoc` sends one document's frame to one connection (held back while it opens). */
	constructor(sendDoc: (conn: Connection, doc: string, frame: Uint8Array) => void) {
		this.#sendDoc = sendDoc;
	}

	/** Forwarding may happen before the commit; only the sender's acknowledgement waits for it. */
	forward(room: Room, update: Uint8Array, from: Connection | null): void {
		room.outgoing.push({ update, from });
		this.#dirty.add(room);
		if (this.#scheduled) return;
		this.#scheduled = true;
		const wait = this.#nextAt - performance.now();
		if (wait <= 0) setImmediate(() => this.#flush());
		else setTimeout(() => this.#flush(), wait);
	}

	/** Sends each room's updates of this turn as ONE frame, built once and written to every peer. */
	#flush(): void {
		this.#scheduled = false;
		const began = performance.now();
		// Fan-out takes at most about a third of the event loop: after a flush that took t ms, the next
		// waits 2t ms, and meanwhile more updates join it (one frame per socket instead of several).
		// A quiet or small room flushes at once (t ≈ 0); a busy large one trades ~t ms of latency
		// for far fewer socket writes, which are most of a busy relay's work.
		const rooms = [...this.#dirty];
		this.#dirty.clear();
		for (const room of rooms) {
			const batch = room.outgoing;
			room.outgoing = [];
			if (batch.length === 0) continue;
			const update = batch.length === 1 ? batch[0].update : mergeMany(batch.map((entry) => entry.update));
			const frame = writeSyncUpdate(room.name, update);
			const from = batch[0].from;
			// the sender already has its own change; with several senders, each gets the merged frame
			const skip = batch.every((entry) => entry.from === from) ? from : null;
			for (const conn of room.subscribers) if (conn !== skip) this.#sendDoc(conn, room.name, frame);
		}
		const now = performance.now();
		this.#nextAt = now + FANOUT_PACING * (now - began);
	}
}
