import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { Merger, mergeMany } from '../../server/relay/merger.ts';
import { createWriter } from '../helpers/ydoc.ts';

// The relay's merges: grouped (never one quadratic call over thousands of inputs) and, when large,
// on a worker thread. Whatever path a merge takes, the document it yields must be the same.

function updates(count: number, text: string): Uint8Array[] {
	const out: Uint8Array[] = [];
	const writers = [createWriter(11), createWriter(22), createWriter(33)];
	for (let i = 0; i < count; i++) {
		const w = writers[i % writers.length];
		w.doc.getMap('messages').set(`m${i}`, { id: `m${i}`, text: `${text} ${i}` });
		out.push(w.take());
	}
	return out;
}

function content(update: Uint8Array): Record<string, unknown> {
	const doc = new Y.Doc();
	Y.applyUpdate(doc, update);
	return doc.getMap('messages').toJSON();
}

describe('mergeMany', () => {
	it('yields the document Y.mergeUpdates yields, for any number of inputs', () => {
		for (const count of [1, 2, 31, 32, 33, 500]) {
			const parts = updates(count, 'hello');
			expect(content(mergeMany(parts))).toEqual(content(Y.mergeUpdates(parts)));
			expect(Object.keys(content(mergeMany(parts)))).toHaveLength(count);
		}
	});
});

describe('Merger', () => {
	it('merges large inputs on its worker to the same document as inline, and diffs against a state vector', async () => {
		const merger = new Merger();
		try {
			const parts = updates(1500, 'x'.repeat(100)); // well over the inline threshold
			const merged = await merger.merge(parts);
			expect(content(merged)).toEqual(content(mergeMany(parts)));

			const half = new Y.Doc();
			Y.applyUpdate(half, mergeMany(parts.slice(0, 700)));
			const { state, diff } = await merger.mergeAndDiff(parts, Y.encodeStateVector(half));
			expect(content(state)).toEqual(content(merged));
			expect(diff.byteLength).toBeLessThan(state.byteLength);
			Y.applyUpdate(half, diff);
			expect(half.getMap('messages').size).toBe(1500);
			expect(merger.offloaded).toBe(2); // both merges ran on the worker, not inline
		} finally {
			await merger.close();
		}
	});

	it('refuses a malformed state vector on both paths and keeps working', async () => {
		const merger = new Merger();
		try {
			const bad = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
			await expect(merger.mergeAndDiff(updates(3, 'small'), bad)).rejects.toThrow();
			await expect(merger.mergeAndDiff(updates(1500, 'x'.repeat(100)), bad)).rejects.toThrow();
			expect(Object.keys(content(await merger.merge(updates(1500, 'y'.repeat(100)))))).toHaveLength(1500);
		} finally {
			await merger.close();
		}
	});
});
