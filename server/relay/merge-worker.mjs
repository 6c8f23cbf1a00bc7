// Merges Yjs updates off the relay's event loop (see merger.ts). Plain JavaScript so it runs the
// same under tsx, Vite's dev server and Vitest, none of which give a worker thread a TS loader.
import { parentPort } from 'node:worker_threads';
import * as Y from 'yjs';

// Y.mergeUpdates re-sorts every input at each step: O(P² log P) for P inputs. Merging groups of
// at most 32 keeps it O(bytes × log P). Keep in step with mergeMany in merger.ts.
const GROUP = 32;
function mergeMany(updates) {
	let level = updates;
	while (level.length > GROUP) {
		const next = [];
		for (let i = 0; i < level.length; i += GROUP) {
			const group = level.slice(i, i + GROUP);
			next.push(group.length === 1 ? group[0] : Y.mergeUpdates(group));
		}
		level = next;
	}
	return level.length === 1 ? level[0] : Y.mergeUpdates(level);
}

// parts arrive packed in one transferred buffer (one copy, not one per part), with their lengths
parentPort.on('message', ({ id, packed, lengths, stateVector }) => {
	try {
		const parts = [];
		let offset = 0;
		for (const length of lengths) {
			parts.push(packed.subarray(offset, offset + length));
			offset += length;
		}
		const state = mergeMany(parts);
		const diff = stateVector ? Y.diffUpdate(state, stateVector) : null;
		const transfer = [state.buffer];
		if (diff && diff.buffer !== state.buffer) transfer.push(diff.buffer);
		parentPort.postMessage({ id, state, diff }, transfer);
	} catch (error) {
		parentPort.postMessage({ id, error: String(error?.message ?? error) });
	}
});
