// Merging Yjs updates without stalling the relay. Y.mergeUpdates costs ~35 ns per input byte and
// O(P² log P) in the number of inputs P (5,000 chat messages: 300–600 ms), and a document's state
// is needed whole for compaction, for opening it, and for server edits. Small merges run inline;
// large ones run on one worker thread, so fan-out and acknowledgements go on meanwhile.
import { Worker } from 'node:worker_threads';
import * as Y from 'yjs';

/** Inline below this many input bytes (under ~1 ms): a worker round trip would cost more. */
const INLINE_BYTES = 32 * 1024;
/** Y.mergeUpdates is quadratic in its inputs: merge at most this many at once. */
const GROUP = 32;

/** Merges any number of updates in groups, O(bytes × log P) instead of O(P² log P). */
export function mergeMany(updates: readonly Uint8Array[]): Uint8Array {
	let level = updates as Uint8Array[];
	while (level.length > GROUP) {
		const next: Uint8Array[] = [];
		for (let i = 0; i < level.length; i += GROUP) {
			const group = level.slice(i, i + GROUP);
			next.push(group.length === 1 ? group[0] : Y.mergeUpdates(group));
		}
		level = next;
	}
	return level.length === 1 ? level[0] : Y.mergeUpdates(level);
}

interface Job {
	resolve: (result: { state: Uint8Array; diff: Uint8Array | null }) => void;
	reject: (error: Error) => void;
	parts: readonly Uint8Array[];
	stateVector: Uint8Array | null;
}

export class Merger {
	#worker: Worker | null = null;
	#jobs = new Map<number, Job>();
	#nextId = 1;
	#closed = false;
	/** Merges the worker has done (tests check large merges really leave the event loop). */
	offloaded = 0;

	/** The merge of `parts` (in any order: merging is commutative). */
	async merge(parts: readonly Uint8Array[]): Promise<Uint8Array> {
		if (parts.length === 1) return parts[0];
		return (await this.#run(parts, null)).state;
	}

	/** The merged state and its difference to a client's state vector (throws if the vector is malformed). */
	async mergeAndDiff(parts: readonly Uint8Array[], stateVector: Uint8Array): Promise<{ state: Uint8Array; diff: Uint8Array }> {
		const { state, diff } = await this.#run(parts, stateVector);
		return { state, diff: diff! };
	}

	#run(parts: readonly Uint8Array[], stateVector: Uint8Array | null): Promise<{ state: Uint8Array; diff: Uint8Array | null }> {
		let bytes = 0;
		for (const part of parts) bytes += part.byteLength;
		if (bytes < INLINE_BYTES || this.#closed) return Promise.resolve().then(() => inline(parts, stateVector));
		const worker = this.#ensureWorker();
		if (!worker) return Promise.resolve().then(() => inline(parts, stateVector));
		// one buffer for every part, transferred: one copy instead of a structured clone per part
		const packed = new Uint8Array(bytes);
		const lengths: number[] = [];
		let offset = 0;
		for (const part of parts) {
			packed.set(part, offset);
			offset += part.byteLength;
			lengths.push(part.byteLength);
		}
		const id = this.#nextId++;
		return new Promise((resolve, reject) => {
			this.#jobs.set(id, { resolve, reject, parts, stateVector });
			worker.postMessage({ id, packed, lengths, stateVector }, [packed.buffer]);
		});
	}

	#ensureWorker(): Worker | null {
		if (this.#worker) return this.#worker;
		try {
			const worker = new Worker(new URL('./merge-worker.mjs', import.meta.url));
			worker.unref(); // never what keeps the process alive
			worker.on('message', (m: { id: number; state?: Uint8Array; diff?: Uint8Array | null; error?: string }) => {
				const job = this.#jobs.get(m.id);
				if (!job) return;
				this.#jobs.delete(m.id);
				this.offloaded++;
				if (m.error !== undefined) job.reject(new Error(m.error));
				else job.resolve({ state: m.state!, diff: m.diff ?? null });
			});
			// a worker that died takes no work with it: its jobs are done inline, the next job starts a new one
			const fail = () => {
				if (this.#worker !== worker) return;
				this.#worker = null;
				const jobs = [...this.#jobs.values()];
				this.#jobs.clear();
				for (const job of jobs) {
					try {
						job.resolve(inline(job.parts, job.stateVector));
					} catch (error) {
						job.reject(error as Error);
					}
				}
			};
			worker.on('error', fail);
			worker.on('exit', fail);
			this.#worker = worker;
			return worker;
		} catch {
			return null;
		}
	}

	async close(): Promise<void> {
		this.#closed = true;
		const worker = this.#worker;
		if (!worker) return;
		// jobs in flight finish inline (the exit handler), so nothing waiting on them hangs
		await worker.terminate();
	}
}

function inline(parts: readonly Uint8Array[], stateVector: Uint8Array | null): { state: Uint8Array; diff: Uint8Array | null } {
	const state = mergeMany(parts);
	return { state, diff: stateVector ? Y.diffUpdate(state, stateVector) : null };
}
