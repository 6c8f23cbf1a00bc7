// What a Yjs update carries, read from its bytes without a Y.Doc: the JSON records it sets and the
// Yjs clients that wrote it. The one decoder the provider uses (refused changes shown to the user,
// writes that depend on a refused one, records carried over into a rebuilt document).
import * as Y from 'yjs';

/** One JSON record an update sets (root map, key, value). */
export interface UpdateRecord {
	root: string | null;
	key: string | null;
	value: unknown;
	/** Deleted again within the same update. */
	deleted: boolean;
}

/** The records and writing clients of an update. Throws on bytes that are not an update. */
export function decodeUpdate(update: Uint8Array): { records: UpdateRecord[]; clients: Set<number> } {
	const { structs, ds } = Y.decodeUpdate(update);
	const records: UpdateRecord[] = [];
	const clients = new Set<number>();
	for (const s of structs) {
		clients.add(s.id.client);
		if (!(s instanceof Y.Item) || !(s.content instanceof Y.ContentAny)) continue;
		const arr = s.content.arr;
		records.push({
			root: typeof s.parent === 'string' ? s.parent : null,
			key: s.parentSub,
			value: arr[arr.length - 1],
			deleted: Y.isDeleted(ds, s.id)
		});
	}
	return { records, clients };
}

/** One JSON record a refused update contained (root map, key, value), for showing the user what was lost. */
export interface RefusedRecord {
	root: string | null;
	key: string | null;
	value: unknown;
}

/** Lists the JSON records (root, key, value) an update carries; deletions carry no records. */
export function readUpdateRecords(update: Uint8Array): RefusedRecord[] {
	try {
		return decodeUpdate(update).records.map(({ root, key, value }) => ({ root, key, value }));
	} catch {
		return [];
	}
}

/** The Yjs client ids that wrote an update (none for bytes that are not an update). */
export function clientsOf(update: Uint8Array): Set<number> {
	try {
		return decodeUpdate(update).clients;
	} catch {
		return new Set();
	}
}

/** The map records an update sets and does not itself delete again. */
export function readLiveRecords(update: Uint8Array): Array<{ root: string; key: string; value: unknown }> {
	const out: Array<{ root: string; key: string; value: unknown }> = [];
	for (const r of decodeUpdate(update).records) {
		if (r.root === null || r.key === null || r.deleted) continue;
		out.push({ root: r.root, key: r.key, value: r.value });
	}
	return out;
}
