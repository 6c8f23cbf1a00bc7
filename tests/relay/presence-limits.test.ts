import { afterEach, describe, expect, it } from 'vitest';
import { MessageType, writeAwareness } from '../../src/lib/shared/protocol.ts';
import * as decoding from 'lib0/decoding';
import { writeAwarenessUpdate, type AwarenessEntry } from '../../server/relay/awareness.ts';
import { setUp, startRelay, type RawClient, type TestRelay } from './fixture.ts';
import { open, sleep } from '../helpers/sync-ops.ts';

// Security review: presence state is held in memory per room and replayed to every newcomer, so one
// connection must not be able to grow it without bound by inventing fresh client ids.

let relay: TestRelay | null = null;
afterEach(async () => {
	await relay?.close();
	relay = null;
});

/** Client ids of an awareness update, without the relay's inbound cap of 64 entries per frame. */
function clientIdsOf(data: Uint8Array): number[] {
	const d = decoding.createDecoder(data);
	const count = decoding.readVarUint(d);
	const ids: number[] = [];
	for (let i = 0; i < count; i++) {
		ids.push(decoding.readVarUint(d));
		decoding.readVarUint(d);
		decoding.readVarString(d);
	}
	return ids;
}

const presence = (doc: string, entries: AwarenessEntry[]) => writeAwareness(doc, writeAwarenessUpdate(entries));

async function presenceSeenBy(client: RawClient, doc: string): Promise<number[]> {
	const from = client.frames.length;
	await open(client, doc);
	await sleep(100);
	return client.frames
		.slice(from)
		.filter((f) => f.type === MessageType.Awareness && f.doc === doc)
		.flatMap((f) => clientIdsOf((f as { data: Uint8Array }).data));
}

describe('presence limits', () => {
	it('keeps only a few presence client ids per connection and room', async () => {
		relay = await startRelay();
		const s = await setUp(relay, { members: ['Mallory', 'Bob'] });
		const { chat } = s.docs;
		const attacker = await s.connect('Mallory');
		await open(attacker, chat);
		// 20 frames of 64 fresh client ids each, every state near the size cap
		let clientId = 500_000;
		for (let frame = 0; frame < 20; frame++) {
			const entries = Array.from({ length: 64 }, () => ({ clientId: clientId++, clock: 1, state: JSON.stringify({ pad: 'x'.repeat(1900) }) }));
			attacker.send(presence(chat, entries));
		}
		await sleep(200);
		const newcomer = await s.connect('Bob');
		const seen = await presenceSeenBy(newcomer, chat);
		expect(seen.length).toBeGreaterThan(0);
		expect(seen.length).toBeLessThanOrEqual(8);
	});

	it('still lets a connection update and clear its own presence', async () => {
		relay = await startRelay();
		const s = await setUp(relay, { members: ['Alice', 'Bob'] });
		const { chat } = s.docs;
		const a = await s.connect('Alice');
		await open(a, chat);
		for (let clock = 1; clock <= 30; clock++) a.send(presence(chat, [{ clientId: 42, clock, state: JSON.stringify({ typing: clock % 2 === 0 }) }]));
		await sleep(100);
		const b = await s.connect('Bob');
		expect(await presenceSeenBy(b, chat)).toEqual([42]);
	});
});
