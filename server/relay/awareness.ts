// Presence frames (y-protocols awareness updates), decoded once at the edge so the relay can stamp
// the sender's identity and refuse client ids that belong to another connection.
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';

/** One entry of an awareness update; `state` is the raw JSON text ('null' when the client left). */
export interface AwarenessEntry {
	clientId: number;
	clock: number;
	state: string;
}

/** Longest presence state accepted, in characters (typing/viewing indicators are tiny). */
export const MAX_AWARENESS_STATE = 2048;

/** Decodes an awareness update; null when malformed or oversized. Never throws. */
export function readAwarenessUpdate(bytes: Uint8Array): AwarenessEntry[] | null {
	try {
		const d = decoding.createDecoder(bytes);
		const count = decoding.readVarUint(d);
		if (count > 64) return null;
		const entries: AwarenessEntry[] = [];
		for (let i = 0; i < count; i++) {
			const clientId = decoding.readVarUint(d);
			const clock = decoding.readVarUint(d);
			const state = decoding.readVarString(d);
			if (state.length > MAX_AWARENESS_STATE) return null;
			entries.push({ clientId, clock, state });
		}
		if (decoding.hasContent(d)) return null;
		return entries;
	} catch {
		return null;
	}
}

/** Encodes entries as an awareness update. */
export function writeAwarenessUpdate(entries: AwarenessEntry[]): Uint8Array {
	const e = encoding.createEncoder();
	encoding.writeVarUint(e, entries.length);
	for (const entry of entries) {
		encoding.writeVarUint(e, entry.clientId);
		encoding.writeVarUint(e, entry.clock);
		encoding.writeVarString(e, entry.state);
	}
	return encoding.toUint8Array(e);
}

/** Who the relay says a presence state belongs to; clients cannot set this themselves. */
export interface PresenceIdentity {
	id: string;
	name: string;
	role: string;
}

/**
 * Replaces the `user` field of a presence state with the session's identity.
 * Returns null when the state is not a JSON object (or null, meaning "left", which passes as is).
 */
export function stampPresence(state: string, identity: PresenceIdentity): string | null {
	if (state === 'null') return state;
	let value: unknown;
	try {
		value = JSON.parse(state);
	} catch {
		return null;
	}
	if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
	return JSON.stringify({ ...(value as Record<string, unknown>), user: identity });
}
