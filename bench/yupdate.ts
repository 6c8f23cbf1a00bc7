// Hand-encoded Yjs v1 updates for the load generator: one Y.Map set of a new chat record in the
// root map `messages`, byte-identical to what a Y.Doc would produce (checked by bench/run.ts at
// start), without paying for a Y.Doc per simulated client.
import * as encoding from 'lib0/encoding';

/** A chat record as the app writes it. `text` carries the bench marker. */
export interface ChatRecord {
	id: string;
	authorId: string;
	text: string;
	mentions: string[];
	createdAt: number;
}

/** The update of `doc.getMap('messages').set(record.id, record)` by `clientId` at `clock`. */
export function encodeChatSet(clientId: number, clock: number, record: ChatRecord): Uint8Array {
	const e = encoding.createEncoder();
	encoding.writeVarUint(e, 1); // one client
	encoding.writeVarUint(e, 1); // one struct
	encoding.writeVarUint(e, clientId);
	encoding.writeVarUint(e, clock);
	encoding.writeUint8(e, 8 | 0x20); // ContentAny, has parentSub, no origins
	encoding.writeVarUint(e, 1); // parent is a root type ...
	encoding.writeVarString(e, 'messages'); // ... named `messages`
	encoding.writeVarString(e, record.id); // the map key
	encoding.writeVarUint(e, 1); // one value
	encoding.writeAny(e, record as unknown as encoding.AnyEncodable);
	encoding.writeVarUint(e, 0); // empty delete set
	return encoding.toUint8Array(e);
}

/** Reference server (y-protocols over y-websocket): messageSync • messageYjsUpdate • varByteArray. */
export function refUpdateFrame(update: Uint8Array): Uint8Array {
	const e = encoding.createEncoder();
	encoding.writeVarUint(e, 0);
	encoding.writeVarUint(e, 2);
	encoding.writeVarUint8Array(e, update);
	return encoding.toUint8Array(e);
}

/** Reference server: messageSync • syncStep1 • varByteArray(stateVector). */
export function refSyncStep1(stateVector: Uint8Array): Uint8Array {
	const e = encoding.createEncoder();
	encoding.writeVarUint(e, 0);
	encoding.writeVarUint(e, 0);
	encoding.writeVarUint8Array(e, stateVector);
	return encoding.toUint8Array(e);
}

/** Bench marker in a message's text: `~b<sender>.<sendTimeMs>~`; scanned for in received frames. */
export const MARK = Buffer.from('~b');
export function markerText(sender: number, sentAt: number): string {
	return `~b${sender}.${sentAt.toFixed(2)}~`;
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes. */
export const nowMs = (): number => performance.timeOrigin + performance.now();

/**
 * Scans a received frame for markers; calls `found(sender, sentAt)` for each. Works on merged
 * updates too (strings are stored as UTF-8 as is).
 */
export function scanMarkers(buf: Buffer, found: (sender: number, sentAt: number) => void): number {
	let n = 0;
	let at = buf.indexOf(MARK);
	while (at !== -1) {
		const end = buf.indexOf(0x7e, at + 2); // '~'
		if (end === -1) break;
		const text = buf.toString('latin1', at + 2, end);
		const dot = text.indexOf('.');
		found(Number(text.slice(0, dot)), Number(text.slice(dot + 1)));
		n++;
		at = buf.indexOf(MARK, end + 1);
	}
	return n;
}
