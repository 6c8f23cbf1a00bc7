import fc from 'fast-check';
import * as encoding from 'lib0/encoding';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	CloseCode,
	MessageType,
	ReasonCode,
	readFrame,
	writeAccess,
	writeAck,
	writeAwareness,
	writeError,
	writeNack,
	writeSyncStep1,
	writeSyncStep2,
	writeSyncUpdate,
	writeUnsubscribe,
	writeWrite
} from '../../src/lib/shared/protocol.ts';
import { setUp, startRelay, type RawClient, type TestRelay } from './fixture.ts';
import { chatMessage, createWriter } from '../helpers/ydoc.ts';
import { open, write, type ErrorFrame } from '../helpers/sync-ops.ts';

// Hostile bytes from one client: random bytes and mutated valid frames. The relay never crashes
// (no frame handler fails), answers with an Error frame and/or a protocol close code, and another
// client in the same document keeps working: its writes are acknowledged and it receives updates.

const logs: string[] = [];
let relay: TestRelay;
let attacker: { id: string; cookie: string };
let alice: { id: string; cookie: string };
let bob: { id: string; cookie: string };
let aliceClient: RawClient;
let bobClient: RawClient;
let chat: string;

beforeAll(async () => {
	relay = await startRelay({ log: (m) => logs.push(m) });
	const s = await setUp(relay, { members: ['Mallory', 'Alice', 'Bob'] });
	({ Mallory: attacker, Alice: alice, Bob: bob } = s.people);
	chat = s.docs.chat;
	aliceClient = await s.connect('Alice');
	bobClient = await s.connect('Bob');
	expect((await open(aliceClient, chat)).role).toBe('member');
	expect((await open(bobClient, chat)).role).toBe('member');
});
afterAll(() => relay.close());

let nextClientId = 50_000;
function validChatUpdate(userId: string, text = 'hello'): Uint8Array {
	const w = createWriter(nextClientId++);
	const record = chatMessage(userId, `m${nextClientId}`, text);
	w.doc.getMap('messages').set(record.id, record);
	return w.take();
}

/** Valid frames a client could send (and a few only the server may send), to mutate. */
function seedFrames(): Uint8Array[] {
	const update = validChatUpdate(attacker?.id ?? 'x');
	return [
		writeWrite(chat, 7, update),
		writeSyncStep1(chat, new Uint8Array([0])),
		writeSyncStep1(chat, new Uint8Array([1, 5, 3])),
		writeAwareness(chat, new Uint8Array([1, 9, 1, 2, 123, 125])),
		writeUnsubscribe(chat),
		writeSyncStep2(chat, update),
		writeSyncUpdate(chat, update),
		writeAck(chat, 1),
		writeNack(chat, 1, ReasonCode.Forbidden, 'no'),
		writeAccess(chat, 'member'),
		writeError('', ReasonCode.Malformed, 'x')
	];
}

/** A frame header followed by a varUint length far beyond the bytes that follow. */
function hugeLength(type: number, where: 'doc' | 'payload', n: number): Uint8Array {
	const e = encoding.createEncoder();
	encoding.writeVarUint(e, type);
	if (where === 'doc') {
		encoding.writeVarUint(e, n);
		encoding.writeUint8Array(e, new Uint8Array([99, 47, 120]));
	} else {
		encoding.writeVarString(e, chat);
		if (type === MessageType.Write) encoding.writeVarUint(e, 3);
		else if (type === MessageType.Sync) encoding.writeVarUint(e, 0);
		encoding.writeVarUint(e, n);
		encoding.writeUint8Array(e, new Uint8Array([0, 0]));
	}
	return encoding.toUint8Array(e);
}

type Input = Uint8Array | string;

/** Built once the document exists (the arbitraries close over its name). */
const inputArb = (): fc.Arbitrary<Input> => fc.oneof(
	// random bytes
	fc.uint8Array({ minLength: 0, maxLength: 300 }),
	// truncated valid frames
	fc.tuple(fc.nat(10), fc.nat()).map(([i, cut]) => {
		const f = seedFrames()[i];
		return f.slice(0, cut % f.length);
	}),
	// bit flips in valid frames
	fc.tuple(fc.nat(10), fc.array(fc.tuple(fc.nat(), fc.nat(7)), { minLength: 1, maxLength: 4 })).map(([i, flips]) => {
		const f = seedFrames()[i].slice();
		for (const [pos, bit] of flips) f[pos % f.length] ^= 1 << bit;
		return f;
	}),
	// trailing garbage after a valid frame
	fc.tuple(fc.nat(10), fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([i, tail]) => {
		const f = seedFrames()[i];
		const out = new Uint8Array(f.length + tail.length);
		out.set(f);
		out.set(tail, f.length);
		return out;
	}),
	// huge varUint lengths
	fc
		.tuple(
			fc.constantFrom(MessageType.Sync, MessageType.Awareness, MessageType.Write),
			fc.constantFrom('doc' as const, 'payload' as const),
			fc.oneof(fc.integer({ min: 1000, max: 2 ** 31 }), fc.constant(2 ** 53 - 1))
		)
		.map(([type, where, n]) => hugeLength(type, where, n)),
	// empty and garbage updates in otherwise valid writes
	fc.uint8Array({ maxLength: 40 }).map((bytes) => writeWrite(chat, 9, bytes)),
	// text frames
	fc.string({ maxLength: 50 }),
	// server-only message types from a client
	fc.constantFrom(writeAck(chat, 1), writeNack(chat, 1, ReasonCode.Forbidden, 'x'), writeAccess(chat, 'member'), writeError(chat, ReasonCode.Malformed, 'x'))
);

const serverOnly = new Set<number>([MessageType.Ack, MessageType.Nack, MessageType.Access, MessageType.Error]);

/** Whether the protocol says this input must end the connection (text, undecodable, server-only type). */
function mustClose(input: Input): boolean {
	if (typeof input === 'string') return true;
	const frame = readFrame(input);
	return frame === null || serverOnly.has(frame.type);
}

let runs = 0;

async function checkOthersStillWork(): Promise<void> {
	// alice writes: acknowledged, and bob receives it
	const bobFrom = bobClient.frames.length;
	const answer = await write(aliceClient, chat, validChatUpdate(alice.id, `still working ${runs}`));
	expect(answer.type).toBe(MessageType.Ack);
	await bobClient.waitFor((f) => f.type === MessageType.Sync && f.doc === chat, 2000, bobFrom);
	// and the other way round
	const aliceFrom = aliceClient.frames.length;
	expect((await write(bobClient, chat, validChatUpdate(bob.id))).type).toBe(MessageType.Ack);
	await aliceClient.waitFor((f) => f.type === MessageType.Sync && f.doc === chat, 2000, aliceFrom);
}

describe('malformed input', () => {
	it('never crashes the relay, answers clearly, and leaves other clients working', async () => {
		const started = Date.now();
		await fc.assert(
			fc.asyncProperty(fc.array(inputArb(), { minLength: 1, maxLength: 4 }), fc.boolean(), async (inputs, subscribeFirst) => {
				runs++;
				const client = await relay.connect(attacker.cookie);
				if (subscribeFirst) await open(client, chat);
				const from = client.frames.length;
				for (const input of inputs) client.send(input);
				const closing = inputs.findIndex(mustClose);
				// a probe after the inputs: frames are handled in order, so its answer comes after theirs
				const probe = `c/probe${runs}/chat`;
				client.send(writeSyncStep1(probe, new Uint8Array([0])));
				if (closing >= 0) {
					const code = await client.closed(3000);
					expect([CloseCode.ProtocolError.code, CloseCode.FrameTooLarge.code]).toContain(code);
					if (code === CloseCode.ProtocolError.code) {
						// an Error frame says why before the close
						const error = client.frames.slice(from).find((f): f is ErrorFrame => f.type === MessageType.Error && f.doc === '');
						expect(error?.reason).toBe(ReasonCode.Malformed);
						expect(error?.message.length).toBeGreaterThan(0);
					}
					// nothing after the closing input was handled: the probe was never answered
					expect(client.frames.slice(from).some((f) => f.doc === probe)).toBe(false);
				} else {
					// every input was a decodable client frame: the socket stays open and answers the probe
					await client.waitFor((f) => f.type === MessageType.Access && f.doc === probe, 3000, from);
					expect(client.closeCode).toBeNull();
					// every write got exactly one answer, Ack or Nack
					for (const input of inputs) {
						const frame = readFrame(input as Uint8Array)!;
						if (frame.type !== MessageType.Write) continue;
						const answers = client.frames
							.slice(from)
							.filter((f) => (f.type === MessageType.Ack || f.type === MessageType.Nack) && f.doc === frame.doc && f.writeId === frame.writeId);
						expect(answers.length).toBeGreaterThanOrEqual(1);
					}
				}
				client.close();
				await checkOthersStillWork();
				// no frame handler failed inside the relay
				expect(logs.filter((m) => m.includes('error handling a frame'))).toEqual([]);
			}),
			{ numRuns: 250, interruptAfterTimeLimit: 8_000 }
		);
		expect(relay.endpoint.relay.stats().connections).toBeGreaterThanOrEqual(2);
		expect(Date.now() - started).toBeLessThan(30_000);
	}, 40_000);

	it('answers the documented cases exactly', async () => {
		const cases: Array<{ input: Input; close: number; reason?: string }> = [
			{ input: 'hello', close: CloseCode.ProtocolError.code, reason: ReasonCode.Malformed },
			{ input: new Uint8Array([]), close: CloseCode.ProtocolError.code, reason: ReasonCode.Malformed },
			{ input: new Uint8Array([200]), close: CloseCode.ProtocolError.code, reason: ReasonCode.Malformed },
			{ input: hugeLength(MessageType.Write, 'payload', 2 ** 53 - 1), close: CloseCode.ProtocolError.code, reason: ReasonCode.Malformed },
			{ input: writeAck(chat, 1), close: CloseCode.ProtocolError.code, reason: ReasonCode.Malformed }
		];
		for (const c of cases) {
			const client = await relay.connect(attacker.cookie);
			client.send(c.input);
			expect(await client.closed()).toBe(c.close);
			expect(client.frames.find((f) => f.type === MessageType.Error)).toMatchObject({ doc: '', reason: c.reason });
		}
		// an empty update in a write and a client's sync step 2 are refused without closing
		const client = await relay.connect(attacker.cookie);
		await open(client, chat);
		const empty = await write(client, chat, new Uint8Array([]));
		expect(empty).toMatchObject({ type: MessageType.Nack, reason: ReasonCode.Malformed });
		const from = client.frames.length;
		client.send(writeSyncStep2(chat, validChatUpdate(attacker.id)));
		const error = await client.waitFor((f) => f.type === MessageType.Error && f.doc === chat, 3000, from);
		expect(error).toMatchObject({ reason: ReasonCode.Forbidden });
		expect((await write(client, chat, validChatUpdate(attacker.id))).type).toBe(MessageType.Ack);
		client.close();
		await checkOthersStillWork();
	});
});
