import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createIndexedDbStore, createMemoryStore, type LocalStore } from './local-store.ts';

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
