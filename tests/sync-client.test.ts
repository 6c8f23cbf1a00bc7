// The client provider against a real relay (port 0, real database file, real `ws` sockets).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { and, eq } from 'drizzle-orm';
import { conversationParticipants } from '../src/lib/server/db/schema.ts';
import { ReasonCode } from '../src/lib/shared/protocol.ts';
import { createMemoryStore, type LocalStore } from '../src/lib/sync/local-store.ts';
import { SyncProvider, type RefusedChange, type SocketLike } from '../src/lib/sync/provider.ts';
import { RecordMap } from '../src/lib/sync/records.svelte.ts';
import { SyncStatus } from '../src/lib/sync/sync-status.svelte.ts';
import { startRelay, type TestRelay } from './helpers/relay.ts';
import { chatMessage } from './helpers/ydoc.ts';

type Chat = ReturnType<typeof chatMessage>;

let relay: TestRelay;
let providers: SyncProvider[];

beforeEach(async () => {
	relay = await startRelay();
	providers = [];
});
afterEach(async () => {
	for (const p of providers) p.destroy();
	await relay.close();
});

/** A switchable network: while down, every connection attempt fails as if the relay were unreachable. */
function createNetwork() {
	return { down: false };
}

function connectProvider(cookie: string, store: LocalStore = createMemoryStore(), network = createNetwork(), clientName?: string) {
	const p = new SyncProvider({
		url: relay.wsUrl,
		store,
		clientName,
		backoff: { baseMs: 20, maxMs: 200 },
		createSocket: (url) =>
			new WebSocket(network.down ? 'ws://127.0.0.1:9/sync' : url, { headers: { Cookie: cookie, Origin: relay.origin } }) as unknown as SocketLike
	});
	providers.push(p);
	return p;
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
	const end = Date.now() + timeoutMs;
	while (!(await check())) {
		if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
		await new Promise((r) => setTimeout(r, 10));
	}
}

const messages = (p: SyncProvider, doc: string) => p.getDoc(doc)!.getMap<Chat>('messages');
const texts = (p: SyncProvider, doc: string) => [...messages(p, doc).values()].map((m) => m.text).sort();

async function serverTexts(doc: string): Promise<string[]> {
	const ydoc = new Y.Doc();
	Y.applyUpdate(ydoc, await relay.endpoint.relay.readState(doc));
	return [...ydoc.getMap<Chat>('messages').values()].map((m) => m.text).sort();
}

async function storedRows(doc: string): Promise<number> {
	const rs = await relay.database.client.execute({ sql: 'SELECT count(*) AS n FROM doc_updates WHERE doc = ?', args: [doc] });
	return Number(rs.rows[0].n);
}

async function team() {
	const org = await relay.addOrg('Acme');
	const alice = await relay.addUser('Alice');
	const bob = await relay.addUser('Bob');
	await relay.addMember(org, alice.id);
	await relay.addMember(org, bob.id);
	const conversation = await relay.addConversation(org);
	return { org, alice, bob, conversation, chat: `c/${conversation}/chat` };
}

describe('sync provider with a real relay', () => {
	it('converges two providers and acknowledges every write', async () => {
		const { alice, bob, chat } = await team();
		const a = connectProvider(alice.cookie);
		const b = connectProvider(bob.cookie);
		a.open(chat);
		b.open(chat);
		await until(() => a.status.online && b.status.online, 'both are online');

		messages(a, chat).set(`${alice.id}:m1`, chatMessage(alice.id, 'm1', 'hello from alice'));
		await until(() => texts(b, chat).includes('hello from alice'), 'bob sees alice');
		messages(b, chat).set(`${bob.id}:m2`, chatMessage(bob.id, 'm2', 'hi alice'));
		await until(() => texts(a, chat).includes('hi alice'), 'alice sees bob');

		await until(() => a.status.pending === 0 && b.status.pending === 0, 'both writes are acknowledged');
		expect(texts(a, chat)).toEqual(texts(b, chat));
		expect(await serverTexts(chat)).toEqual(['hello from alice', 'hi alice']);
	});

	it('sends a change made while offline once the connection is back', async () => {
		const { alice, bob, chat } = await team();
		const network = createNetwork();
		const a = connectProvider(alice.cookie, createMemoryStore(), network);
		const b = connectProvider(bob.cookie);
		a.open(chat);
		b.open(chat);
		await until(() => a.status.online && b.status.online, 'both are online');

		network.down = true;
		a.disconnect();
		await until(() => !a.status.online, 'alice is offline');
		messages(a, chat).set(`${alice.id}:off`, chatMessage(alice.id, 'off', 'written offline'));
		await a.flush();
		expect(a.status.pending).toBe(1);
		await new Promise((r) => setTimeout(r, 100));
		expect(texts(b, chat)).toEqual([]);

		network.down = false;
		await until(() => a.status.online, 'alice reconnects', 10_000);
		await until(() => a.status.pending === 0, 'the offline write is acknowledged');
		await until(() => texts(b, chat).includes('written offline'), 'bob sees the offline write');
	});

	it('keeps an idle socket that answers pings, and gives up one that stops answering', async () => {
		const { alice, bob, chat } = await team();
		// a network that goes silent: the socket stays "open" but nothing gets through either way
		let silent = false;
		let sockets = 0;
		const a = new SyncProvider({
			url: relay.wsUrl,
			store: createMemoryStore(),
			backoff: { baseMs: 20, maxMs: 200 },
			heartbeat: { idleMs: 30, timeoutMs: 300 },
			createSocket: (url) => {
				sockets++;
				const ws = new WebSocket(url, { headers: { Cookie: alice.cookie, Origin: relay.origin } });
				const s = ws as unknown as SocketLike;
				const send = s.send.bind(s);
				s.send = (data) => void (silent || send(data));
				let handler: SocketLike['onmessage'] = null;
				ws.addEventListener('message', (ev) => void (silent || handler?.({ data: ev.data })));
				Object.defineProperty(s, 'onmessage', { get: () => handler, set: (h) => (handler = h) });
				return s;
			}
		});
		providers.push(a);
		const b = connectProvider(bob.cookie);
		a.open(chat);
		b.open(chat);
		await until(() => a.status.online && b.status.online, 'both are online');
		// many heartbeats long: each ping is answered, so the first socket is kept
		await new Promise((r) => setTimeout(r, 600));
		expect(a.status.online).toBe(true);
		expect(sockets).toBe(1);

		silent = true;
		await until(() => !a.status.online, 'the silent socket is given up');
		messages(a, chat).set(`${alice.id}:quiet`, chatMessage(alice.id, 'quiet', 'written while silent'));
		await a.flush();
		expect(a.status.pending).toBe(1);

		silent = false;
		await until(() => a.status.online && a.status.pending === 0, 'reconnected and acknowledged', 10_000);
		await until(() => texts(b, chat).includes('written while silent'), 'bob sees it');
	});

	it('resends unacknowledged writes after a reload, and the relay stores each once', async () => {
		const { alice, chat } = await team();
		const store = createMemoryStore();
		// the tab closes after the relay stored the writes but before the acks reached the local store
		const crashingStore: LocalStore = { ...store, confirmPending: async () => {} };
		const first = connectProvider(alice.cookie, crashingStore);
		first.open(chat);
		await until(() => first.status.online, 'online');
		messages(first, chat).set(`${alice.id}:r1`, chatMessage(alice.id, 'r1', 'one'));
		messages(first, chat).set(`${alice.id}:r2`, chatMessage(alice.id, 'r2', 'two'));
		await until(() => first.status.pending === 0, 'the relay acknowledged both');
		first.destroy();
		expect((await store.loadDoc(chat)).pending).toHaveLength(2);
		expect(await storedRows(chat)).toBe(2);

		const reloaded = connectProvider(alice.cookie, store);
		reloaded.open(chat);
		await reloaded.flush();
		expect(texts(reloaded, chat)).toEqual(['one', 'two']); // shown before any network answer
		await until(() => reloaded.status.online && reloaded.status.pending === 0, 'the resent writes are acknowledged');
		await until(async () => (await store.loadDoc(chat)).pending.length === 0, 'the store has no pending writes');

		expect(await serverTexts(chat)).toEqual(['one', 'two']);
		// the resent writes were duplicates: acknowledged, not stored again
		expect(await storedRows(chat)).toBe(2);
		const serverDoc = new Y.Doc();
		Y.applyUpdate(serverDoc, await relay.endpoint.relay.readState(chat));
		expect([...serverDoc.getMap('messages').keys()].sort()).toEqual([`${alice.id}:r1`, `${alice.id}:r2`]);
		expect(reloaded.status.refused).toEqual([]);
	});

	it('resets the document to the server state and reports a refused change', async () => {
		const { alice, bob, chat } = await team();
		const a = connectProvider(alice.cookie);
		const b = connectProvider(bob.cookie);
		a.open(chat);
		b.open(chat);
		await until(() => a.status.online && b.status.online, 'both are online');
		messages(a, chat).set(`${alice.id}:ok`, chatMessage(alice.id, 'ok', 'accepted'));
		await until(() => a.status.pending === 0, 'the first write is acknowledged');

		const resets: Y.Doc[] = [];
		const refused: RefusedChange[] = [];
		a.on('doc-reset', (e) => e.doc === chat && resets.push(e.ydoc));
		a.on('refused', (c) => refused.push(c));
		const before = a.getDoc(chat)!;
		const view = new RecordMap<Chat>(a, chat, 'messages', 'createdAt');
		const status = new SyncStatus(a);
		// writing under bob's key: the relay refuses it (chat keys start with the author's id)
		messages(a, chat).set(`${bob.id}:forged`, { ...chatMessage(bob.id, 'forged', 'pretending to be bob') });
		expect(texts(a, chat)).toContain('pretending to be bob');

		await until(() => refused.length === 1, 'the write is refused');
		expect(resets).toHaveLength(1);
		expect(a.getDoc(chat)).toBe(resets[0]);
		expect(a.getDoc(chat)).not.toBe(before);
		expect(texts(a, chat)).toEqual(['accepted']);
		expect(view.all.map((m) => m.text)).toEqual(['accepted']); // the wrapper rebound to the new doc
		expect(status.refused).toHaveLength(1);
		expect(a.status.pending).toBe(0);
		expect(a.status.refused).toHaveLength(1);
		expect(refused[0]).toMatchObject({ doc: chat, records: [{ root: 'messages', key: `${bob.id}:forged`, value: { text: 'pretending to be bob' } }] });
		expect(Object.values(ReasonCode)).toContain(refused[0].reason);

		// the rebuilt document keeps syncing
		messages(a, chat).set(`${alice.id}:after`, chatMessage(alice.id, 'after', 'after the reset'));
		await until(() => texts(b, chat).includes('after the reset'), 'bob sees the next write');
		expect(view.get(`${alice.id}:after`)?.text).toBe('after the reset');
		expect(texts(b, chat)).not.toContain('pretending to be bob');
		expect(await serverTexts(chat)).toEqual(['accepted', 'after the reset']);
	});

	it('keeps the valid changes made after a refused one in the same offline session', async () => {
		const { alice, bob, chat } = await team();
		const network = createNetwork();
		const a = connectProvider(alice.cookie, createMemoryStore(), network);
		const b = connectProvider(bob.cookie);
		a.open(chat);
		b.open(chat);
		await until(() => a.status.online && b.status.online, 'both are online');
		network.down = true;
		a.disconnect();
		await until(() => !a.status.online, 'alice is offline');
		messages(a, chat).set(`${bob.id}:forged`, chatMessage(bob.id, 'forged', 'forged'));
		messages(a, chat).set(`${alice.id}:later`, chatMessage(alice.id, 'later', 'written after the forged one'));
		await a.flush();
		expect(a.status.pending).toBe(2);

		network.down = false;
		await until(() => a.status.refused.length === 1 && a.status.pending === 0, 'the forged write is refused and the rest acknowledged', 10_000);
		await until(() => texts(b, chat).includes('written after the forged one'), 'bob sees the valid change');
		expect(a.status.refused[0].records.map((r) => r.key)).toEqual([`${bob.id}:forged`]);
		expect(texts(a, chat)).toEqual(['written after the forged one']);
		expect(await serverTexts(chat)).toEqual(['written after the forged one']);
	});

	it('carries presence both ways, stamped with the sender by the relay', async () => {
		const { alice, bob, chat } = await team();
		const a = connectProvider(alice.cookie);
		const b = connectProvider(bob.cookie);
		const granted = (p: SyncProvider) => new Promise<void>((resolve) => p.on('access', (e) => e.doc === chat && resolve()));
		const both = Promise.all([granted(a), granted(b)]);
		a.open(chat);
		b.open(chat);
		await both;
		a.awareness(chat).setLocalState({ typing: true, user: { id: 'forged' } });
		const seen = () => b.awareness(chat).getStates().get(a.awareness(chat).clientID) as { typing?: boolean; user?: { id: string } } | undefined;
		await until(() => seen()?.typing === true, 'bob sees alice typing');
		expect(seen()?.user?.id).toBe(alice.id);
	});

	it('deletes the local copy when access is revoked', async () => {
		const { conversation, chat } = await team();
		const guest = await relay.addUser('Gina');
		await relay.addGuest(conversation, guest.id);
		const store = createMemoryStore();
		const g = connectProvider(guest.cookie, store);
		g.open(chat);
		await until(() => g.status.online, 'online');
		messages(g, chat).set(`${guest.id}:g1`, chatMessage(guest.id, 'g1', 'from the guest'));
		await until(() => g.status.pending === 0, 'the guest write is acknowledged');
		expect(await store.listDocs()).toContain(chat);

		const revoked: string[] = [];
		g.on('revoked', (e) => revoked.push(e.doc));
		const { db } = relay.database;
		await db.delete(conversationParticipants).where(and(eq(conversationParticipants.conversationId, conversation), eq(conversationParticipants.userId, guest.id)));
		await relay.endpoint.relay.refreshAccess({ conversationId: conversation });

		await until(() => revoked.includes(chat), 'the provider is told');
		await g.flush();
		expect(g.getDoc(chat)).toBeUndefined();
		expect(await store.listDocs()).not.toContain(chat);
		expect(await store.loadDoc(chat)).toEqual({ serverState: null, pending: [] });
	});

	it('reports the pending writes of a revoked document as refused, not lost', async () => {
		const { conversation, chat } = await team();
		const guest = await relay.addUser('Gina');
		await relay.addGuest(conversation, guest.id);
		const store = createMemoryStore();
		const network = createNetwork();
		const g = connectProvider(guest.cookie, store, network);
		g.open(chat);
		await until(() => g.status.online, 'online');
		network.down = true;
		g.disconnect();
		await until(() => !g.status.online, 'offline');
		messages(g, chat).set(`${guest.id}:late`, chatMessage(guest.id, 'late', 'written while access was revoked'));
		await g.flush();
		const { db } = relay.database;
		await db.delete(conversationParticipants).where(and(eq(conversationParticipants.conversationId, conversation), eq(conversationParticipants.userId, guest.id)));

		network.down = false;
		await until(() => g.status.refused.length === 1, 'the write is reported refused', 10_000);
		expect(g.status.refused[0]).toMatchObject({ doc: chat, records: [{ key: `${guest.id}:late`, value: { text: 'written while access was revoked' } }] });
		expect(g.status.pending).toBe(0);
		await g.flush();
		expect(await store.listDocs()).not.toContain(chat);
		expect(await serverTexts(chat)).toEqual([]);
	});

	it('drops a stored document the relay does not know', async () => {
		const { alice } = await team();
		const store = createMemoryStore();
		const unknown = 'c/doesnotexist/chat';
		const stale = new Y.Doc();
		stale.getMap('messages').set('x:1', { text: 'stale' });
		await store.mergeServerState(unknown, Y.encodeStateAsUpdate(stale));
		const a = connectProvider(alice.cookie, store);
		const revoked: string[] = [];
		a.on('revoked', (e) => revoked.push(e.doc));
		a.open(unknown);
		await until(() => revoked.includes(unknown), 'access none arrives');
		await a.flush();
		expect(await store.listDocs()).toEqual([]);
	});

	it('stops reconnecting and reports signed-out when the session ends', async () => {
		const { alice, chat } = await team();
		const a = connectProvider(alice.cookie);
		a.open(chat);
		await until(() => a.status.online, 'online');
		relay.endpoint.relay.endSessions({ sessionId: alice.sessionId });
		await until(() => a.status.signedOut, 'signed out is reported');
		await new Promise((r) => setTimeout(r, 300));
		expect(a.status.online).toBe(false);
	});
});
