// The wire protocol between clients and the relay. Specified byte by byte in docs/PROTOCOL.md.
// Every frame: varUint messageType • varString docName • payload (lib0 encoding).
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';

/**
 * Protocol version, sent by the client as `/sync?v=<version>`.
 * History (one line per bump, newest last):
 * 1 — first version: sync, awareness, write/ack/nack, unsubscribe, access, error; later ping/pong
 *     (added without a bump: old clients never send ping, and the relay ships with the client).
 */
export const PROTOCOL_VERSION = 1;

/** Message types: the first varUint of every frame. */
export const MessageType = {
	/** y-protocols sync message. Client→server: step 1 opens (subscribes to) the document. Server→client: step 2 and updates. */
	Sync: 0,
	/** y-protocols awareness update (presence). The relay stamps the sender's identity. */
	Awareness: 1,
	/** Client→server: a local update to validate, store and forward, with a client-chosen id for the ack. */
	Write: 2,
	/** Server→client: the write with this id is durably stored (or was already known). */
	Ack: 3,
	/** Server→client: the write with this id was refused; nothing of it was applied, stored or forwarded. */
	Nack: 4,
	/** Client→server: stop receiving this document. */
	Unsubscribe: 5,
	/** Server→client: the connection's access to this document is now the given role; `none` means drop it and delete the local copy. */
	Access: 6,
	/** Server→client: an error about the document (or the connection, with docName ''), not tied to a write. */
	Error: 7,
	/** Client→server, docName '': are you there? Answered with Pong at once (a socket can die silently). */
	Ping: 8,
	/** Server→client, docName '': the answer to Ping. */
	Pong: 9
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** y-protocols sync sub-types, as in y-protocols/sync. */
export const SyncType = { Step1: 0, Step2: 1, Update: 2 } as const;
export type SyncType = (typeof SyncType)[keyof typeof SyncType];

/** Why a write was refused (Nack) or a request failed (Error). Stable strings: clients show them. */
export const ReasonCode = {
	/** The actor's grant does not allow writing this document. */
	Forbidden: 'forbidden',
	/** The document is not open on this connection (send sync step 1 first). */
	NotSubscribed: 'not-subscribed',
	/** The update bytes could not be decoded. */
	Malformed: 'malformed',
	/** A struct type other than a JSON record (or the actor's own deleted/GC struct). */
	UnsupportedContent: 'unsupported-content',
	/** A root map this document does not have. */
	UnknownRoot: 'unknown-root',
	/** A record value failed its schema. */
	InvalidRecord: 'invalid-record',
	/** A value, update or frame over its size cap. */
	TooLarge: 'too-large',
	/** A chat key that does not begin with the actor's user id. */
	ForeignKey: 'foreign-key',
	/** A record whose author field is not the actor. */
	NotAuthor: 'not-author',
	/** Overwrites or deletes an item created by another user. */
	NotOwner: 'not-owner',
	/** A Yjs client id already bound to another user. */
	ClientIdTaken: 'client-id-taken',
	/** Structs that do not continue the server's state (would wait unvalidated in pendingStructs). */
	ClockGap: 'clock-gap',
	/** References a label or assignee that does not exist, or assigns a non-member. */
	UnknownReference: 'unknown-reference',
	/** Too many messages on this connection; slow down. */
	RateLimited: 'rate-limited',
	/** Over the byte budget (per connection or per user; lower for guests); resend in a moment. */
	QuotaExceeded: 'quota-exceeded',
	/** The write would take the document past its size cap (lower for guests' writes); not saved. */
	DocumentFull: 'document-full',
	/** The server failed to store the write; it may be resent. */
	ServerError: 'server-error'
} as const;
export type ReasonCode = (typeof ReasonCode)[keyof typeof ReasonCode];

/** WebSocket close codes the relay uses. */
export const CloseCode = {
	/** A frame that is not a valid Parley frame (text frame, truncated, unknown type). */
	ProtocolError: { code: 4400, reason: 'Malformed frame' },
	/** The session ended (signed out, expired) while connected. */
	Unauthorized: { code: 4401, reason: 'Session ended' },
	/** Sent more than the per-connection message rate allows, repeatedly. */
	RateLimited: { code: 4429, reason: 'Too many messages' },
	/** The session already has RelayLimits.maxSocketsPerSession sockets open; closing one frees a slot. */
	TooManySockets: { code: 4409, reason: 'Too many connections for this session' },
	/** A frame over the size limit. */
	FrameTooLarge: { code: 4413, reason: 'Frame too large' },
	/** The client did not read its frames fast enough; it was dropped so the room is not held up. */
	TooSlow: { code: 4408, reason: 'Client too slow' },
	/** The client speaks another protocol version. */
	VersionMismatch: { code: 4426, reason: 'Protocol version not supported' },
	/** The server is shutting down; reconnect later. */
	GoingAway: { code: 1001, reason: 'Server going away' }
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Roles a connection can hold on a document, as sent in Access frames. */
export const AccessRole = { Member: 'member', Guest: 'guest', Owner: 'owner', None: 'none' } as const;
export type AccessRole = (typeof AccessRole)[keyof typeof AccessRole];

/** A decoded frame. */
export type Frame =
	| { type: typeof MessageType.Sync; doc: string; syncType: SyncType; data: Uint8Array }
	| { type: typeof MessageType.Awareness; doc: string; data: Uint8Array }
	| { type: typeof MessageType.Write; doc: string; writeId: number; update: Uint8Array }
	| { type: typeof MessageType.Ack; doc: string; writeId: number }
	| { type: typeof MessageType.Nack; doc: string; writeId: number; reason: ReasonCode; message: string }
	| { type: typeof MessageType.Unsubscribe; doc: string }
	| { type: typeof MessageType.Access; doc: string; role: AccessRole }
	| { type: typeof MessageType.Error; doc: string; reason: ReasonCode; message: string }
	| { type: typeof MessageType.Ping | typeof MessageType.Pong; doc: '' };

/** Longest document name accepted (names are short ids; this bounds work on hostile input). */
export const MAX_DOC_NAME = 200;

function header(type: MessageType, doc: string): encoding.Encoder {
	const e = encoding.createEncoder();
	encoding.writeVarUint(e, type);
	encoding.writeVarString(e, doc);
	return e;
}

/** syncStep1 := varUint(0) • varString(doc) • varUint(0) • varByteArray(stateVector) */
export function writeSyncStep1(doc: string, stateVector: Uint8Array): Uint8Array {
	const e = header(MessageType.Sync, doc);
	encoding.writeVarUint(e, SyncType.Step1);
	encoding.writeVarUint8Array(e, stateVector);
	return encoding.toUint8Array(e);
}

/** syncStep2 := varUint(0) • varString(doc) • varUint(1) • varByteArray(update) */
export function writeSyncStep2(doc: string, update: Uint8Array): Uint8Array {
	const e = header(MessageType.Sync, doc);
	encoding.writeVarUint(e, SyncType.Step2);
	encoding.writeVarUint8Array(e, update);
	return encoding.toUint8Array(e);
}

/** syncUpdate := varUint(0) • varString(doc) • varUint(2) • varByteArray(update) */
export function writeSyncUpdate(doc: string, update: Uint8Array): Uint8Array {
	const e = header(MessageType.Sync, doc);
	encoding.writeVarUint(e, SyncType.Update);
	encoding.writeVarUint8Array(e, update);
	return encoding.toUint8Array(e);
}

/** awareness := varUint(1) • varString(doc) • varByteArray(awarenessUpdate) */
export function writeAwareness(doc: string, awarenessUpdate: Uint8Array): Uint8Array {
	const e = header(MessageType.Awareness, doc);
	encoding.writeVarUint8Array(e, awarenessUpdate);
	return encoding.toUint8Array(e);
}

/** write := varUint(2) • varString(doc) • varUint(writeId) • varByteArray(update) */
export function writeWrite(doc: string, writeId: number, update: Uint8Array): Uint8Array {
	const e = header(MessageType.Write, doc);
	encoding.writeVarUint(e, writeId);
	encoding.writeVarUint8Array(e, update);
	return encoding.toUint8Array(e);
}

/** ack := varUint(3) • varString(doc) • varUint(writeId) */
export function writeAck(doc: string, writeId: number): Uint8Array {
	const e = header(MessageType.Ack, doc);
	encoding.writeVarUint(e, writeId);
	return encoding.toUint8Array(e);
}

/** nack := varUint(4) • varString(doc) • varUint(writeId) • varString(reason) • varString(message) */
export function writeNack(doc: string, writeId: number, reason: ReasonCode, message: string): Uint8Array {
	const e = header(MessageType.Nack, doc);
	encoding.writeVarUint(e, writeId);
	encoding.writeVarString(e, reason);
	encoding.writeVarString(e, message);
	return encoding.toUint8Array(e);
}

/** unsubscribe := varUint(5) • varString(doc) */
export function writeUnsubscribe(doc: string): Uint8Array {
	return encoding.toUint8Array(header(MessageType.Unsubscribe, doc));
}

/** access := varUint(6) • varString(doc) • varString(role) */
export function writeAccess(doc: string, role: AccessRole): Uint8Array {
	const e = header(MessageType.Access, doc);
	encoding.writeVarString(e, role);
	return encoding.toUint8Array(e);
}

/** error := varUint(7) • varString(doc) • varString(reason) • varString(message) */
export function writeError(doc: string, reason: ReasonCode, message: string): Uint8Array {
	const e = header(MessageType.Error, doc);
	encoding.writeVarString(e, reason);
	encoding.writeVarString(e, message);
	return encoding.toUint8Array(e);
}

const reasons = new Set<string>(Object.values(ReasonCode));
const roles = new Set<string>(Object.values(AccessRole));

export function writePing(): Uint8Array {
	return encoding.toUint8Array(header(MessageType.Ping, ''));
}

export function writePong(): Uint8Array {
	return encoding.toUint8Array(header(MessageType.Pong, ''));
}

/** Decodes one frame, or returns null when the bytes are not exactly one valid frame. Never throws. */
export function readFrame(bytes: Uint8Array): Frame | null {
	try {
		const d = decoding.createDecoder(bytes);
		const type = decoding.readVarUint(d);
		const doc = decoding.readVarString(d);
		if (doc.length > MAX_DOC_NAME) return null;
		let frame: Frame;
		switch (type) {
			case MessageType.Sync: {
				const syncType = decoding.readVarUint(d);
				if (syncType !== SyncType.Step1 && syncType !== SyncType.Step2 && syncType !== SyncType.Update) return null;
				frame = { type, doc, syncType, data: decoding.readVarUint8Array(d) };
				break;
			}
			case MessageType.Awareness:
				frame = { type, doc, data: decoding.readVarUint8Array(d) };
				break;
			case MessageType.Write:
				frame = { type, doc, writeId: decoding.readVarUint(d), update: decoding.readVarUint8Array(d) };
				break;
			case MessageType.Ack:
				frame = { type, doc, writeId: decoding.readVarUint(d) };
				break;
			case MessageType.Nack: {
				const writeId = decoding.readVarUint(d);
				const reason = decoding.readVarString(d);
				if (!reasons.has(reason)) return null;
				frame = { type, doc, writeId, reason: reason as ReasonCode, message: decoding.readVarString(d) };
				break;
			}
			case MessageType.Unsubscribe:
				frame = { type, doc };
				break;
			case MessageType.Ping:
			case MessageType.Pong:
				// about the connection, never a document
				if (doc !== '') return null;
				frame = { type, doc };
				break;
			case MessageType.Access: {
				const role = decoding.readVarString(d);
				if (!roles.has(role)) return null;
				frame = { type, doc, role: role as AccessRole };
				break;
			}
			case MessageType.Error: {
				const reason = decoding.readVarString(d);
				if (!reasons.has(reason)) return null;
				frame = { type, doc, reason: reason as ReasonCode, message: decoding.readVarString(d) };
				break;
			}
			default:
				return null;
		}
		// trailing bytes mean the frame is not what it claims to be
		if (decoding.hasContent(d)) return null;
		return frame;
	} catch {
		return null;
	}
}
