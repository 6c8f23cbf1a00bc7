import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createMemoryStore, type LocalStore } from './local-store.ts';
import { createIndexedDbStore } from './indexeddb-store.ts';

function chatUpdate(key: string, text: string): Uint8Array {
	const doc = new Y.Doc();
	doc.getMap('messages').set(key, { id: key, authorId: 'u1', text, mentions: [], createdAt: 1 });
	return Y.encodeStateAsUpdate(doc);
}

function textsOf(serverState: Uint8Array | null, pending: { update: Uint8Array }[] = []): string[] {
	const doc = new Y.Doc();
	if (serverState) Y.applyUpdate(doc, serverState);
	for (const w of pending) Y.applyUpdate(doc, w.update);
	return [...doc.getMap<{ text: string }>('messages').values()].map((m) => m.text).sort();
}

let dbCount = 0;
const kinds: [string, () => { open: () => LocalStore }][] = [
	['memory', () => {
		const store = createMemoryStore();
		return { open: () => store }; // the same object stands in for a reopen
	}],
	['indexeddb', () => {
		const name = `parley-test-${++dbCount}`;
		return { open: () => createIndexedDbStore(name) };
	}]
];

describe.each(kinds)('%s local store', (_kind, make) => {
	it('keeps pending writes, in order, across a reopen', async () => {
		const s = make();
		const a = s.open();
		await a.addPending('c/1/chat', { writeId: 2, update: chatUpdate('u1:b', 'second') });
		await a.addPending('c/1/chat', { writeId: 1, update: chatUpdate('u1:a', 'first') });
		await a.addPending('c/2/chat', { writeId: 3, update: chatUpdate('u1:c', 'other doc') });
		a.close();

		const b = s.open();
		const loaded = await b.loadDoc('c/1/chat');
		expect(loaded.pending.map((w) => w.writeId)).toEqual([1, 2]);
		expect(loaded.serverState).toBeNull();
		expect(textsOf(null, loaded.pending)).toEqual(['first', 'second']);
		expect(await b.listDocs()).toEqual(['c/1/chat', 'c/2/chat']);
		b.close();
	});

	it('moves an acknowledged write into the server state and drops a refused one', async () => {
		const s = make();
		const a = s.open();
		await a.mergeServerState('c/1/chat', chatUpdate('u2:x', 'from server'));
		await a.addPending('c/1/chat', { writeId: 1, update: chatUpdate('u1:a', 'accepted') });
		await a.addPending('c/1/chat', { writeId: 2, update: chatUpdate('u1:b', 'refused') });
		await a.confirmPending('c/1/chat', 1);
		await a.dropPending('c/1/chat', 2);
		await a.confirmPending('c/1/chat', 99); // unknown id changes nothing
		a.close();

		const loaded = await s.open().loadDoc('c/1/chat');
		expect(loaded.pending).toEqual([]);
		expect(textsOf(loaded.serverState)).toEqual(['accepted', 'from server']);
	});

	it('deleteDoc removes the server state and the pending writes of that document only', async () => {
		const s = make();
		const a = s.open();
		await a.mergeServerState('c/1/chat', chatUpdate('u2:x', 'secret'));
		await a.addPending('c/1/chat', { writeId: 1, update: chatUpdate('u1:a', 'mine') });
		await a.addPending('c/10/chat', { writeId: 1, update: chatUpdate('u1:z', 'keep') });
		await a.deleteDoc('c/1/chat');
		a.close();

		const b = s.open();
		expect(await b.loadDoc('c/1/chat')).toEqual({ serverState: null, pending: [] });
		expect(await b.listDocs()).toEqual(['c/10/chat']);
		expect((await b.loadDoc('c/10/chat')).pending).toHaveLength(1);
	});
});

// --- the IndexedDB layout: snapshot (`docs`), append-only `log`, `meta` counts, `pending` ---

function request<T>(r: IDBRequest<T>): Promise<T> {
	return new Promise((resolve, reject) => {
		r.onsuccess = () => resolve(r.result);
		r.onerror = () => reject(r.error);
	});
}

function openRaw(name: string, version?: number, upgrade?: (db: IDBDatabase) => void): Promise<IDBDatabase> {
	const req = indexedDB.open(name, version);
	if (upgrade) req.onupgradeneeded = () => upgrade(req.result);
	return request(req);
}

/** What the database holds for one document, read behind the store's back. */
async function rawDoc(name: string, doc: string) {
	const db = await openRaw(name);
	const t = db.transaction([...db.objectStoreNames], 'readonly');
	const range = IDBKeyRange.bound([doc, 0], [doc, Infinity]);
	const out = {
		version: db.version,
		stores: [...db.objectStoreNames].sort(),
		snapshot: ((await request(t.objectStore('docs').get(doc))) as { serverState: Uint8Array } | undefined)?.serverState ?? null,
		logRows: await request(t.objectStore('log').count(range)),
		pendingRows: await request(t.objectStore('pending').count(range)),
		meta: (await request(t.objectStore('meta').get(doc))) as { logRows: number; logBytes: number; snapshotBytes: number } | undefined
	};
	db.close();
	return out;
}

describe('indexeddb local store layout', () => {
	const doc = 'c/1/chat';

	it('appends server updates to a log and folds it into the snapshot once it is long and outweighs it', async () => {
		const name = `parley-fold-${++dbCount}`;
		const store = createIndexedDbStore(name);
		for (let i = 0; i < 99; i++) await store.mergeServerState(doc, chatUpdate(`u2:${i}`, `m${i}`));
		let raw = await rawDoc(name, doc);
		expect(raw.snapshot).toBeNull();
		expect(raw.logRows).toBe(99);
		expect(raw.meta?.logRows).toBe(99);
		expect(textsOf((await store.loadDoc(doc)).serverState)).toHaveLength(99); // read from the log alone

		await store.mergeServerState(doc, chatUpdate('u2:99', 'm99')); // the 100th row outweighs the empty snapshot
		raw = await rawDoc(name, doc);
		expect(raw.logRows).toBe(0);
		expect(textsOf(raw.snapshot)).toHaveLength(100);
		expect(raw.meta).toEqual({ logRows: 0, logBytes: 0, snapshotBytes: raw.snapshot!.byteLength });
		const firstSnapshot = raw.snapshot!.byteLength;

		// confirmed writes go to the same log, in the transaction that drops them from pending
		for (let i = 100; i < 250; i++) {
			if (i % 10 === 0) {
				await store.addPending(doc, { writeId: i, update: chatUpdate(`u1:${i}`, `m${i}`) });
				await store.confirmPending(doc, i);
			} else {
				await store.mergeServerState(doc, chatUpdate(`u2:${i}`, `m${i}`));
			}
		}
		raw = await rawDoc(name, doc);
		expect(raw.pendingRows).toBe(0);
		expect(raw.snapshot!.byteLength).toBeGreaterThan(firstSnapshot); // folded again
		expect(raw.logRows).toBeGreaterThan(0);
		expect(raw.logRows).toBeLessThan(100);
		expect(raw.meta?.logRows).toBe(raw.logRows);
		const expected = Array.from({ length: 250 }, (_, i) => `m${i}`).sort();
		expect(textsOf((await store.loadDoc(doc)).serverState)).toEqual(expected);
		store.close();
		expect(textsOf((await createIndexedDbStore(name).loadDoc(doc)).serverState)).toEqual(expected);
	});

	it('keeps the data of a version-1 database when upgrading', async () => {
		const name = `parley-v1-${++dbCount}`;
		const v1 = await openRaw(name, 1, (db) => {
			db.createObjectStore('docs');
			db.createObjectStore('pending');
		});
		const t = v1.transaction(['docs', 'pending'], 'readwrite');
		t.objectStore('docs').put({ serverState: chatUpdate('u2:x', 'old snapshot') }, doc);
		t.objectStore('pending').put({ doc, writeId: 4, update: chatUpdate('u1:a', 'old pending') }, [doc, 4]);
		t.objectStore('pending').put({ doc: 'c/2/chat', writeId: 5, update: chatUpdate('u1:b', 'other') }, ['c/2/chat', 5]);
		await new Promise((resolve) => (t.oncomplete = resolve));
		v1.close();

		const store = createIndexedDbStore(name);
		const loaded = await store.loadDoc(doc);
		expect(textsOf(loaded.serverState)).toEqual(['old snapshot']);
		expect(loaded.pending.map((w) => w.writeId)).toEqual([4]);
		expect(await store.listDocs()).toEqual([doc, 'c/2/chat']);

		await store.mergeServerState(doc, chatUpdate('u2:y', 'new'));
		await store.confirmPending(doc, 4);
		const raw = await rawDoc(name, doc);
		expect(raw.version).toBe(2);
		expect(raw.stores).toEqual(['docs', 'log', 'meta', 'pending']);
		expect(textsOf(raw.snapshot)).toEqual(['old snapshot']); // untouched until a fold
		expect(raw.meta).toMatchObject({ logRows: 2, snapshotBytes: raw.snapshot!.byteLength });
		expect(textsOf((await store.loadDoc(doc)).serverState)).toEqual(['new', 'old pending', 'old snapshot']);
	});

	it('lists documents that only have log rows, and deleteDoc removes snapshot, log, counts and pending writes', async () => {
		const name = `parley-delete-${++dbCount}`;
		const store = createIndexedDbStore(name);
		await store.mergeServerState('c/9/chat', chatUpdate('u2:only', 'log only'));
		expect(await store.listDocs()).toEqual(['c/9/chat']);

		for (let i = 0; i < 130; i++) await store.mergeServerState(doc, chatUpdate(`u2:${i}`, `m${i}`));
		await store.addPending(doc, { writeId: 1, update: chatUpdate('u1:a', 'mine') });
		let raw = await rawDoc(name, doc);
		expect(raw.snapshot).not.toBeNull();
		expect(raw.logRows).toBe(30);
		expect(raw.pendingRows).toBe(1);

		await store.deleteDoc(doc);
		raw = await rawDoc(name, doc);
		expect([raw.snapshot, raw.logRows, raw.pendingRows, raw.meta]).toEqual([null, 0, 0, undefined]);
		expect(await store.loadDoc(doc)).toEqual({ serverState: null, pending: [] });
		expect(await store.listDocs()).toEqual(['c/9/chat']);
		expect(textsOf((await store.loadDoc('c/9/chat')).serverState)).toEqual(['log only']);
	});
});
