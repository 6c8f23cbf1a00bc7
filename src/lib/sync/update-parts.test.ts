import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { UpdateParts } from './update-parts.ts';

/** Records every update a sequence of edits produces; `edits` picks the client and what it does. */
function editHistory(edits: Array<{ client: number; op: 'set' | 'delete' | 'text'; key: number }>): Uint8Array[] {
	const docs = new Map<number, Y.Doc>();
	const updates: Uint8Array[] = [];
	const docOf = (client: number) => {
		let d = docs.get(client);
		if (!d) {
			d = new Y.Doc();
			d.clientID = client + 1;
			// every client sees every update so far, as replicas connected to one server would
			for (const u of updates) Y.applyUpdate(d, u, 'remote');
			d.on('update', (u: Uint8Array, origin: unknown) => {
				if (origin === 'remote') return;
				updates.push(u);
				for (const [c, other] of docs) if (c !== client) Y.applyUpdate(other, u, 'remote');
			});
			docs.set(client, d);
		}
		return d;
	};
	edits.forEach(({ client, op, key }, i) => {
		const d = docOf(client);
		if (op === 'set') d.getMap('messages').set(`k${key}`, { id: `k${key}`, text: `message ${i}`, at: i });
		else if (op === 'delete') d.getMap('messages').delete(`k${key}`);
		else d.getText('body').insert(Math.min(key, d.getText('body').length), `t${i} `);
	});
	return updates;
}

/** What an update means, independent of how it is encoded: content, state vector, deletions. */
function contentOf(update: Uint8Array) {
	const doc = new Y.Doc();
	Y.applyUpdate(doc, update);
	return {
		messages: doc.getMap('messages').toJSON(),
		body: doc.getText('body').toString(),
		stateVector: Object.fromEntries([...Y.decodeStateVector(Y.encodeStateVectorFromUpdate(update))].sort()),
		docStateVector: Object.fromEntries([...Y.decodeStateVector(Y.encodeStateVector(doc))].sort()),
		snapshot: Y.encodeSnapshot(Y.snapshot(doc)),
		pending: doc.store.pendingStructs !== null || doc.store.pendingDs !== null
	};
}

/** A seeded Fisher-Yates shuffle (fast-check shrinks the seed, not the permutation). */
function shuffled<T>(items: T[], seed: number): T[] {
	const out = [...items];
	let x = seed;
	for (let i = out.length - 1; i > 0; i--) {
		x = (x * 48271) % 2147483647;
		const j = x % (i + 1);
		[out[i], out[j]] = [out[j], out[i]];
	}
	return out;
}

function pushAll(updates: Uint8Array[]): UpdateParts {
	const parts = new UpdateParts();
	for (const u of updates) parts.push(u);
	return parts;
}

const edit = fc.record({
	client: fc.integer({ min: 0, max: 3 }),
	op: fc.constantFrom('set' as const, 'delete' as const, 'text' as const),
	key: fc.integer({ min: 0, max: 12 })
});

describe('UpdateParts', () => {
	const history = editHistory(
		Array.from({ length: 60 }, (_, i) => ({ client: i % 3, op: i % 7 === 6 ? ('delete' as const) : i % 5 === 4 ? ('text' as const) : ('set' as const), key: i % 11 }))
	);
	const big = Y.mergeUpdates(history.slice(0, 50));
	const cases: [string, Uint8Array[]][] = [
		['nothing', []],
		['one update', history.slice(0, 1)],
		['a history one update at a time', history],
		['a large update then small ones', [big, ...history.slice(50)]],
		['small updates then a large one', [...history.slice(50), big]],
		['the same updates twice', [...history.slice(0, 20), ...history.slice(0, 20)]],
		['newest first', [...history].reverse()]
	];
	it.each(cases)('merged() means the same as Y.mergeUpdates: %s', (_name, updates) => {
		const parts = pushAll(updates);
		expect(contentOf(parts.merged())).toEqual(contentOf(Y.mergeUpdates(updates)));
		expect(parts.count).toBeLessThanOrEqual(1);
		expect(contentOf(parts.merged())).toEqual(contentOf(Y.mergeUpdates(updates))); // asking again
	});

	it('merged() of nothing is the empty document', () => {
		expect(new UpdateParts().merged()).toEqual(Y.encodeStateAsUpdate(new Y.Doc()));
	});

	it('merged() means the same as Y.mergeUpdates for any grouping and order of the updates', () => {
		fc.assert(
			fc.property(
				fc.array(edit, { minLength: 1, maxLength: 40 }),
				fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 40 }),
				fc.option(fc.integer({ min: 1, max: 2 ** 31 - 1 })),
				fc.integer({ min: 0, max: 40 }),
				(edits, groupSizes, shuffleSeed, readAt) => {
					const updates = editHistory(edits);
					const order = shuffleSeed === null ? updates : shuffled(updates, shuffleSeed);
					// push groups of consecutive updates, each group already merged (as the relay's fan-out sends them)
					const parts = new UpdateParts();
					for (let i = 0, g = 0; i < order.length; g++) {
						const size = groupSizes[g % groupSizes.length];
						const group = order.slice(i, i + size);
						parts.push(group.length === 1 ? group[0] : Y.mergeUpdates(group));
						i += size;
						if (g === readAt) parts.merged(); // reading in between must not change the result
					}
					expect(contentOf(parts.merged())).toEqual(contentOf(Y.mergeUpdates(updates)));
				}
			),
			{ numRuns: 150 }
		);
	});

	it('3,000 updates pushed one by one: same document, O(log n) parts and merge work', () => {
		const doc = new Y.Doc();
		const updates: Uint8Array[] = [];
		doc.on('update', (u: Uint8Array) => updates.push(u));
		for (let i = 0; i < 3000; i++) {
			doc.getMap('messages').set(`u1:${i}`, { id: String(i), authorId: 'u1', text: `message number ${i}`, mentions: [], createdAt: i });
		}

		let mergedBytes = 0;
		let largestCall = 0;
		const parts = new UpdateParts((us) => {
			largestCall = Math.max(largestCall, us.length);
			for (const u of us) mergedBytes += u.byteLength;
			return Y.mergeUpdates(us);
		});
		let pushedBytes = 0;
		let mostParts = 0;
		updates.forEach((u, i) => {
			parts.push(u);
			pushedBytes += u.byteLength;
			mostParts = Math.max(mostParts, parts.count);
			// the invariant: each part at least twice the next newer one
			const sizes = parts.partSizes;
			for (let j = 1; j < sizes.length; j++) expect(sizes[j - 1]).toBeGreaterThanOrEqual(2 * sizes[j]);
			// updates here differ in size by less than 2x, so the parts are fewer than log2(pushed) + 2
			expect(parts.count).toBeLessThanOrEqual(Math.floor(Math.log2(i + 1)) + 2);
		});
		const log2n = Math.log2(updates.length);
		expect(mostParts).toBeLessThanOrEqual(Math.ceil(log2n) + 1);
		expect(largestCall).toBeLessThanOrEqual(Math.ceil(log2n) + 2);
		// each byte goes through a merge O(log n) times (merging everything per push would be ~n/2 times)
		expect(mergedBytes).toBeLessThanOrEqual(2 * pushedBytes * log2n);

		const replica = new Y.Doc();
		Y.applyUpdate(replica, parts.merged());
		expect(replica.getMap('messages').toJSON()).toEqual(doc.getMap('messages').toJSON());
		expect(Y.encodeStateVector(replica)).toEqual(Y.encodeStateVector(doc));
	});
});
