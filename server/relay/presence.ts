// Presence in a room: who may set which client ids, the per-connection cap, and what a newcomer or
// a departure tells the others. Pure bookkeeping on the room; the relay sends the frames.
import type { AwarenessEntry } from './awareness.ts';
import { stampPresence } from './awareness.ts';
import type { Connection, Subscription } from './connection.ts';
import type { Room } from './room.ts';

/** Presence client ids one connection may hold in one room (the app uses one per document and tab). */
export const MAX_PRESENCE_PER_CONNECTION = 8;

/** Applies a connection's presence entries to the room and returns the ones accepted (to broadcast). */
export function acceptPresence(room: Room, conn: Connection, sub: Subscription, entries: AwarenessEntry[]): AwarenessEntry[] {
	const identity = { id: conn.identity.userId, name: conn.identity.name, role: sub.access.role };
	const accepted: AwarenessEntry[] = [];
	for (const entry of entries) {
		const owner = room.presence.get(entry.clientId);
		// a connection may only set presence for its own client ids
		if (owner && owner.conn !== conn) continue;
		if (!owner && room.isBound(entry.clientId) && room.boundUser(entry.clientId) !== conn.identity.userId) continue;
		const state = stampPresence(entry.state, identity);
		if (state === null) continue;
		// Presence is held in memory and replayed to every newcomer: without a cap one connection could
		// invent client ids (64 per frame) until the room holds gigabytes. A tab uses one id per document.
		if (!owner && state !== 'null' && presenceCount(room, conn) >= MAX_PRESENCE_PER_CONNECTION) continue;
		if (state === 'null') room.presence.delete(entry.clientId);
		else room.presence.set(entry.clientId, { clock: entry.clock, state, conn });
		accepted.push({ clientId: entry.clientId, clock: entry.clock, state });
	}
	return accepted;
}

/** Removes the presence of a connection that left and returns the entries that tell the others. */
export function removePresenceOf(room: Room, conn: Connection): AwarenessEntry[] {
	const gone: AwarenessEntry[] = [];
	for (const [clientId, p] of room.presence) {
		if (p.conn !== conn) continue;
		room.presence.delete(clientId);
		gone.push({ clientId, clock: p.clock + 1, state: 'null' });
	}
	return gone;
}

/** Everyone's presence in the room, for a newcomer (with several nodes, also those on other nodes). */
export function presenceSnapshot(room: Room): AwarenessEntry[] {
	const local = [...room.presence].map(([clientId, p]) => ({ clientId, clock: p.clock, state: p.state }));
	if (room.remotePresence.size === 0) return local;
	return local.concat([...room.remotePresence].map(([clientId, p]) => ({ clientId, clock: p.clock, state: p.state })));
}

/**
 * Presence another node stamped and sent (several nodes): kept for newcomers here. A client id
 * held by a socket on this node is never overwritten from elsewhere.
 */
export function acceptRemotePresence(room: Room, node: string, entries: AwarenessEntry[], now: number): void {
	for (const entry of entries) {
		if (room.presence.has(entry.clientId)) continue;
		if (entry.state === 'null') room.remotePresence.delete(entry.clientId);
		else room.remotePresence.set(entry.clientId, { clock: entry.clock, state: entry.state, node, heardAt: now });
	}
}

/**
 * Drops presence from other nodes not heard of for `ttlMs` and returns the entries that tell this
 * node's sockets it is gone. A client renews its presence every 15 s (y-protocols' awareness), so
 * only the clients of a node that died (SIGKILL: it never sent their departure) go silent.
 */
export function expireRemotePresence(room: Room, now: number, ttlMs: number): AwarenessEntry[] {
	const gone: AwarenessEntry[] = [];
	for (const [clientId, p] of room.remotePresence) {
		if (now - p.heardAt < ttlMs) continue;
		room.remotePresence.delete(clientId);
		gone.push({ clientId, clock: p.clock + 1, state: 'null' });
	}
	return gone;
}

/** The room's subscribers, other than `from`, whose grant lets them see presence. */
export function* presenceAudience(room: Room, from: Connection): Iterable<Connection> {
	for (const conn of room.subscribers) {
		if (conn === from) continue;
		if (conn.subs.get(room.name)?.access.lane.presence) yield conn;
	}
}

function presenceCount(room: Room, conn: Connection): number {
	let n = 0;
	for (const p of room.presence.values()) if (p.conn === conn) n++;
	return n;
}
