// Round trips of every frame codec, and the malformed inputs readFrame must refuse (docs/PROTOCOL.md:
// "a frame with trailing bytes, an unknown type or an unknown reason/role string is malformed";
// readFrame returns null for those and never throws).
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import * as encoding from 'lib0/encoding';
import {
	AccessRole,
	MAX_DOC_NAME,
	MessageType,
	ReasonCode,
	SyncType,
	readFrame,
	writeAccess,
	writeAck,
	writeAwareness,
	writeError,
	writeNack,
	writeSyncStep1,
	writePing,
	writePong,
	writeSyncStep2,
	writeSyncUpdate,
	writeUnsubscribe,
	writeWrite,
	type Frame
} from './protocol.ts';

/** The writer for each frame, so a decoded frame can be encoded again. */
function encode(f: Frame): Uint8Array {
	switch (f.type) {
		case MessageType.Sync:
			if (f.syncType === SyncType.Step1) return writeSyncStep1(f.doc, f.data);
			if (f.syncType === SyncType.Step2) return writeSyncStep2(f.doc, f.data);
			return writeSyncUpdate(f.doc, f.data);
		case MessageType.Awareness:
			return writeAwareness(f.doc, f.data);
		case MessageType.Write:
			return writeWrite(f.doc, f.writeId, f.update);
		case MessageType.Ack:
			return writeAck(f.doc, f.writeId);
		case MessageType.Nack:
			return writeNack(f.doc, f.writeId, f.reason, f.message);
		case MessageType.Unsubscribe:
			return writeUnsubscribe(f.doc);
		case MessageType.Access:
			return writeAccess(f.doc, f.role);
		case MessageType.Error:
			return writeError(f.doc, f.reason, f.message);
		case MessageType.Ping:
			return writePing();
		case MessageType.Pong:
			return writePong();
	}
}

// Well-formed Unicode (lone surrogates cannot survive UTF-8, so they are not a codec property).
const text = fc.string({ unit: 'grapheme', maxLength: 40 });
const doc = fc.oneof(fc.constant(''), text.filter((s) => s.length <= MAX_DOC_NAME), fc.constant('c/abc_DEF-123/thread'));
const bytes = fc.uint8Array({ maxLength: 300 });
const writeId = fc.oneof(fc.nat(), fc.maxSafeNat());
const reason = fc.constantFrom(...Object.values(ReasonCode));
const role = fc.constantFrom(...Object.values(AccessRole));
const syncType = fc.constantFrom(SyncType.Step1, SyncType.Step2, SyncType.Update);

const frame: fc.Arbitrary<Frame> = fc.oneof(
	fc.record({ type: fc.constant(MessageType.Sync), doc, syncType, data: bytes }),
	fc.record({ type: fc.constant(MessageType.Awareness), doc, data: bytes }),
	fc.record({ type: fc.constant(MessageType.Write), doc, writeId, update: bytes }),
	fc.record({ type: fc.constant(MessageType.Ack), doc, writeId }),
	fc.record({ type: fc.constant(MessageType.Nack), doc, writeId, reason, message: text }),
	fc.record({ type: fc.constant(MessageType.Unsubscribe), doc }),
	fc.record({ type: fc.constantFrom(MessageType.Ping, MessageType.Pong), doc: fc.constant('' as const) }),
	fc.record({ type: fc.constant(MessageType.Access), doc, role }),
	fc.record({ type: fc.constant(MessageType.Error), doc, reason, message: text })
);

/** The bytes of a frame as PROTOCOL.md spells them, built here independently of the writers. */
function spelled(type: number, docName: string, payload: (e: encoding.Encoder) => void): Uint8Array {
	const e = encoding.createEncoder();
	encoding.writeVarUint(e, type);
	encoding.writeVarString(e, docName);
	payload(e);
	return encoding.toUint8Array(e);
}

/** A frame's bytes placed inside a larger buffer (as a socket library's pooled Buffer may be). */
function inLargerBuffer(frameBytes: Uint8Array, after: Uint8Array): Uint8Array {
	const whole = new Uint8Array(frameBytes.length + after.length);
	whole.set(frameBytes);
	whole.set(after, frameBytes.length);
	return whole.subarray(0, frameBytes.length);
}

describe('frame round trips', () => {
	it('every writer covers one message type, and together they cover all of them', () => {
		const written = [
			writeSyncStep1('d', new Uint8Array()),
			writeSyncStep2('d', new Uint8Array()),
			writeSyncUpdate('d', new Uint8Array()),
			writeAwareness('d', new Uint8Array()),
			writeWrite('d', 1, new Uint8Array()),
			writeAck('d', 1),
			writeNack('d', 1, ReasonCode.Forbidden, ''),
			writeUnsubscribe('d'),
			writeAccess('d', AccessRole.Member),
			writeError('d', ReasonCode.Malformed, ''),
			writePing(),
			writePong()
		].map((b) => readFrame(b));
		expect(written.every((f) => f !== null)).toBe(true);
		expect(new Set(written.map((f) => f!.type))).toEqual(new Set(Object.values(MessageType)));
		const syncTypes = written.flatMap((f) => (f!.type === MessageType.Sync ? [f!.syncType] : []));
		expect(syncTypes).toEqual([SyncType.Step1, SyncType.Step2, SyncType.Update]);
	});

	it('readFrame(write*(frame)) gives the frame back, for every message type', () => {
		fc.assert(
			fc.property(frame, (f) => {
				expect(readFrame(encode(f))).toEqual(f);
			}),
			{ numRuns: 2000 }
		);
	});

	it('the writers produce exactly the bytes PROTOCOL.md spells out', () => {
		fc.assert(
			fc.property(doc, writeId, bytes, reason, role, text, syncType, (d, id, b, r, ro, m, st) => {
				const sync = [writeSyncStep1, writeSyncStep2, writeSyncUpdate][st](d, b);
				expect(sync).toEqual(spelled(0, d, (e) => (encoding.writeVarUint(e, st), encoding.writeVarUint8Array(e, b))));
				expect(writeAwareness(d, b)).toEqual(spelled(1, d, (e) => encoding.writeVarUint8Array(e, b)));
				expect(writeWrite(d, id, b)).toEqual(
					spelled(2, d, (e) => (encoding.writeVarUint(e, id), encoding.writeVarUint8Array(e, b)))
				);
				expect(writeAck(d, id)).toEqual(spelled(3, d, (e) => encoding.writeVarUint(e, id)));
				expect(writeNack(d, id, r, m)).toEqual(
					spelled(4, d, (e) => (encoding.writeVarUint(e, id), encoding.writeVarString(e, r), encoding.writeVarString(e, m)))
				);
				expect(writeUnsubscribe(d)).toEqual(spelled(5, d, () => {}));
				expect(writeAccess(d, ro)).toEqual(spelled(6, d, (e) => encoding.writeVarString(e, ro)));
				expect(writeError(d, r, m)).toEqual(
					spelled(7, d, (e) => (encoding.writeVarString(e, r), encoding.writeVarString(e, m)))
				);
			}),
			{ numRuns: 300 }
		);
	});

	it('a frame inside a larger buffer decodes the same as on its own', () => {
		fc.assert(
			fc.property(frame, bytes, (f, after) => {
				expect(readFrame(inLargerBuffer(encode(f), after))).toEqual(f);
			})
		);
	});

	it('document names up to MAX_DOC_NAME are accepted, longer ones refused', () => {
		expect(readFrame(writeUnsubscribe('x'.repeat(MAX_DOC_NAME)))).toEqual({
			type: MessageType.Unsubscribe,
			doc: 'x'.repeat(MAX_DOC_NAME)
		});
		expect(readFrame(writeUnsubscribe('x'.repeat(MAX_DOC_NAME + 1)))).toBeNull();
		expect(readFrame(writeAck('x'.repeat(MAX_DOC_NAME * 10), 1))).toBeNull();
	});
});

describe('malformed frames are refused (readFrame returns null)', () => {
	it('every strict prefix of a frame (truncated)', () => {
		fc.assert(
			fc.property(
				frame.chain((f) => {
					const b = encode(f);
					return fc.tuple(fc.constant(b), fc.nat({ max: b.length - 1 }));
				}),
				([b, cut]) => {
					expect(readFrame(b.subarray(0, cut))).toBeNull();
					// and cut out of a larger buffer, so the bytes past the cut are really there
					expect(readFrame(inLargerBuffer(b.subarray(0, cut), b.subarray(cut)))).toBeNull();
				}
			)
		);
	});

	it('a frame followed by trailing bytes', () => {
		fc.assert(
			fc.property(frame, fc.uint8Array({ minLength: 1, maxLength: 20 }), (f, extra) => {
				const b = encode(f);
				const withExtra = new Uint8Array(b.length + extra.length);
				withExtra.set(b);
				withExtra.set(extra, b.length);
				expect(readFrame(withExtra)).toBeNull();
			})
		);
	});

	it('a ping or pong that names a document (they are about the connection)', () => {
		for (const type of [MessageType.Ping, MessageType.Pong]) {
			const e = encoding.createEncoder();
			encoding.writeVarUint(e, type);
			encoding.writeVarString(e, 'c/abc/chat');
			expect(readFrame(encoding.toUint8Array(e))).toBeNull();
		}
	});

	it('an unknown message type', () => {
		fc.assert(
			fc.property(frame, fc.integer({ min: Object.values(MessageType).length, max: 2 ** 40 }), (f, type) => {
				const b = encode(f);
				// replace the leading varUint(type) (one byte: every known type is < 128)
				const e = encoding.createEncoder();
				encoding.writeVarUint(e, type);
				encoding.writeUint8Array(e, b.subarray(1));
				expect(readFrame(encoding.toUint8Array(e))).toBeNull();
			})
		);
	});

	it('an unknown sync sub-type', () => {
		fc.assert(
			fc.property(doc, fc.integer({ min: 3, max: 2 ** 30 }), bytes, (d, st, data) => {
				const b = spelled(MessageType.Sync, d, (e) => (encoding.writeVarUint(e, st), encoding.writeVarUint8Array(e, data)));
				expect(readFrame(b)).toBeNull();
			})
		);
	});

	it('an unknown reason or role string', () => {
		const known = new Set<string>([...Object.values(ReasonCode), ...Object.values(AccessRole)]);
		const unknown = text.filter((s) => !known.has(s));
		fc.assert(
			fc.property(doc, writeId, unknown, text, (d, id, bad, m) => {
				expect(readFrame(spelled(MessageType.Nack, d, (e) => (encoding.writeVarUint(e, id), encoding.writeVarString(e, bad), encoding.writeVarString(e, m))))).toBeNull();
				expect(readFrame(spelled(MessageType.Error, d, (e) => (encoding.writeVarString(e, bad), encoding.writeVarString(e, m))))).toBeNull();
				expect(readFrame(spelled(MessageType.Access, d, (e) => encoding.writeVarString(e, bad)))).toBeNull();
			})
		);
		// case matters: the strings are stable identifiers
		expect(readFrame(spelled(MessageType.Access, 'd', (e) => encoding.writeVarString(e, 'Member')))).toBeNull();
	});

	it('a length prefix larger than what follows (document name or payload)', () => {
		fc.assert(
			fc.property(doc, bytes, fc.integer({ min: 1, max: 2 ** 32 }), bytes, (d, data, over, after) => {
				// payload byte array claims `over` more bytes than it has
				const payload = spelled(MessageType.Awareness, d, (e) => {
					encoding.writeVarUint(e, data.length + over);
					encoding.writeUint8Array(e, data);
				});
				expect(readFrame(payload)).toBeNull();
				expect(readFrame(inLargerBuffer(payload, after))).toBeNull();
				// document name claims more bytes than the frame holds
				const e = encoding.createEncoder();
				encoding.writeVarUint(e, MessageType.Unsubscribe);
				encoding.writeVarUint(e, data.length + over);
				encoding.writeUint8Array(e, data);
				const name = encoding.toUint8Array(e);
				expect(readFrame(name)).toBeNull();
				expect(readFrame(inLargerBuffer(name, after))).toBeNull();
			})
		);
	});

	it('a varUint beyond 2^53', () => {
		const b = new Uint8Array([MessageType.Ack, 1, 0x64, ...new Array(9).fill(0xff), 0x01]);
		expect(readFrame(b)).toBeNull();
	});

	it('the empty frame', () => {
		expect(readFrame(new Uint8Array())).toBeNull();
	});

	it('random bytes: never throws; whatever it accepts re-encodes to a frame that decodes the same', () => {
		fc.assert(
			fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
				const f = readFrame(b);
				if (f !== null) expect(readFrame(encode(f))).toEqual(f);
			}),
			{ numRuns: 5000 }
		);
		// random bytes after a plausible header, so the payload decoders are reached too
		fc.assert(
			fc.property(fc.nat({ max: 7 }), doc, fc.uint8Array({ maxLength: 64 }), (type, d, rest) => {
				const b = spelled(type, d, (e) => encoding.writeUint8Array(e, rest));
				const f = readFrame(b);
				if (f !== null) expect(readFrame(encode(f))).toEqual(f);
			}),
			{ numRuns: 5000 }
		);
	});
});
