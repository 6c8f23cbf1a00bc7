// The provider with no relay reachable: the app must open and keep working from the local store.
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createMemoryStore } from '../src/lib/sync/local-store.ts';
import { createIndexedDbStore } from '../src/lib/sync/indexeddb-store.ts';
import { SyncProvider, readUpdateRecords, type SocketLike } from '../src/lib/sync/provider.ts';
import { RecordMap } from '../src/lib/sync/records.svelte.ts';
import { SyncStatus } from '../src/lib/sync/sync-status.svelte.ts';
import * as Y from 'yjs';

// nothing listens on port 9 (discard) on the test machine: every connection attempt fails
const unreachable = 'ws://127.0.0.1:9/sync';
const createSocket = (url: string) => new WebSocket(url) as unknown as SocketLike;
const providers: SyncProvider[] = [];
function offlineProvider(store = createMemoryStore()) {
	const p = new SyncProvider({ url: unreachable, store, createSocket, backoff: { baseMs: 20, maxMs: 100 } });
	providers.push(p);
	return p;
}
afterEach(() => {
	for (const p of providers.splice(0)) p.destroy();
});

type Chat = { id: string; authorId: string; text: string; mentions: string[]; createdAt: number };
const msg = (id: string, text: string, createdAt: number): Chat => ({ id, authorId: 'u1', text, mentions: [], createdAt });

describe('sync provider offline', () => {
	it('keeps local changes as pending writes that survive a reload', async () => {
		const store = createIndexedDbStore('offline-reload');
		const a = offlineProvider(store);
		const status = new SyncStatus(a);
		const chat = new RecordMap<Chat>(a, 'c/c1/chat', 'messages', 'createdAt');
		chat.set('u1:2', msg('2', 'second', 2));
		chat.set('u1:1', msg('1', 'first', 1));
		expect(chat.all.map((m) => m.text)).toEqual(['first', 'second']);
		await a.flush();
		expect(status.online).toBe(false);
		expect(status.pending).toBe(2);
		a.destroy();

		const b = offlineProvider(createIndexedDbStore('offline-reload'));
		const again = new RecordMap<Chat>(b, 'c/c1/chat', 'messages', 'createdAt');
		await b.flush();
		expect(again.all.map((m) => m.text)).toEqual(['first', 'second']);
		expect(again.get('u1:2')?.text).toBe('second');
		expect(b.status.pending).toBe(2);
	});

	it('gives the writes of a reloaded provider ids above the stored ones', async () => {
		const store = createMemoryStore();
		const a = offlineProvider(store);
		a.open('c/c1/chat').getMap('messages').set('u1:1', msg('1', 'one', 1));
		await a.flush();
		a.destroy();
		const b = offlineProvider(store);
		const doc = b.open('c/c1/chat');
		await b.flush();
		doc.getMap('messages').set('u1:2', msg('2', 'two', 2));
		await b.flush();
		const ids = (await store.loadDoc('c/c1/chat')).pending.map((w) => w.writeId);
		expect(ids).toHaveLength(2);
		expect(ids[1]).toBeGreaterThan(ids[0]);
	});

	it('lists the records a refused update contained', () => {
		const doc = new Y.Doc();
		const updates: Uint8Array[] = [];
		doc.on('update', (u: Uint8Array) => updates.push(u));
		doc.getMap('messages').set('u2:9', msg('9', 'not mine', 9));
		expect(readUpdateRecords(updates[0])).toEqual([{ root: 'messages', key: 'u2:9', value: msg('9', 'not mine', 9) }]);
	});
});
