// Forwarding a write to the document's owner over a real Redis, the owner committing to a real
// PostgreSQL: the origin hears `ack` only after the commit, `nack` when the owner could not store
// it, and `timeout` — never an ack — when the owner is gone or stalled.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import * as Y from 'yjs';
import { PgDocStore } from '../../server/relay/doc-store-pg.ts';
import { Forwarder, type ForwardedWrite, type Verdict } from '../../server/scaleout/forward.ts';
import { Ownership } from '../../server/scaleout/ownership.ts';
import { openPgDatabase, type PgDatabase } from '../../src/lib/server/db/pg.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { createWriter } from '../helpers/ydoc.ts';

let pg: TestPostgres;
let db: PgDatabase;
let redis: TestRedis;
const connections: Redis[] = [];
const forwarders: Forwarder[] = [];
const ownerships: Ownership[] = [];
let counter = 0;

beforeAll(async () => {
	[pg, redis] = await Promise.all([startPostgres(), startRedis()]);
	db = await openPgDatabase(pg.url, { max: 6 });
}, 60_000);

afterAll(async () => {
	await Promise.all(forwarders.map((f) => f.stop()));
	for (const o of ownerships) o.stop();
	for (const c of connections) c.disconnect();
	await db?.close();
	await Promise.all([pg?.stop(), redis?.stop()]);
}, 60_000);

function connection(): Redis {
	const c = new Redis(redis.url, { maxRetriesPerRequest: 1 });
	c.on('error', () => {});
	connections.push(c);
	return c;
}

/** A node: its ownership, a store fenced with its tokens, and a forwarder whose owner side commits. */
async function startNode(nodeId: string, handle?: (write: ForwardedWrite, store: PgDocStore) => Promise<Verdict>) {
	let ownership: Ownership | null = null;
	const store = new PgDocStore(db.sql, { fenceOf: (doc) => ownership!.tokenOf(doc) });
	ownership = new Ownership({ redis: connection(), store, nodeId, leaseMs: 5000 });
	ownerships.push(ownership);
	const commit = async (write: ForwardedWrite): Promise<Verdict> => {
		await store.append([{ doc: write.doc, update: write.update, userId: write.userId, newBindings: [] }]);
		return { kind: 'ack' };
	};
	const forwarder = new Forwarder({
		nodeId,
		redis: connection(),
		subscriber: connection(),
		timeoutMs: 1500,
		handle: (write) => (handle ? handle(write, store) : commit(write))
	});
	forwarders.push(forwarder);
	await forwarder.start();
	return { nodeId, ownership, store, forwarder };
}

function write(doc: string, text: string): ForwardedWrite {
	const w = createWriter(1000 + ++counter);
	w.doc.getText('t').insert(0, text);
	return { doc, userId: 'u1', update: w.take() };
}

async function storedText(doc: string): Promise<string> {
	const ydoc = new Y.Doc();
	Y.applyUpdate(ydoc, (await new PgDocStore(db.sql).load(doc)).state);
	return ydoc.getText('t').toString();
}

describe('forwarding writes to the owner', () => {
	it('acks a forwarded write only once the owner has committed it', async () => {
		const doc = `fwd-${++counter}`;
		const owner = await startNode('owner-1');
		const origin = await startNode('origin-1');
		expect(await owner.ownership.acquire(doc)).not.toBeNull();
		const result = await origin.forwarder.forward('owner-1', write(doc, 'hello'));
		expect(result).toEqual({ kind: 'ack' });
		expect(await storedText(doc)).toBe('hello');
	});

	it('an owner that lost the document answers nack and stores nothing', async () => {
		const doc = `fwd-${++counter}`;
		const stale = await startNode('stale-2');
		const origin = await startNode('origin-2');
		expect(await stale.ownership.acquire(doc)).not.toBeNull();
		// another node claims the document behind the stale owner's back (its lease ran out while paused)
		await new PgDocStore(db.sql).claim(doc, 'someone-else');
		const result = await origin.forwarder.forward('stale-2', write(doc, 'lost?'));
		expect(result).toEqual({ kind: 'nack', reason: 'not-owner' });
		expect(await storedText(doc)).toBe('');
	});

	it('no owner listening means timeout, never an ack', async () => {
		const doc = `fwd-${++counter}`;
		const origin = await startNode('origin-3');
		expect(await origin.forwarder.forward('nobody-here', write(doc, 'x'))).toEqual({ kind: 'timeout' });
		expect(await storedText(doc)).toBe('');
	});

	it('a stalled owner that answers after the timeout does not turn it into an ack', async () => {
		const doc = `fwd-${++counter}`;
		let release!: () => void;
		const stalled = new Promise<void>((r) => (release = r));
		let answered = false;
		const owner = await startNode('slow-4', async (w, store) => {
			await stalled;
			await store.append([{ doc: w.doc, update: w.update, userId: w.userId, newBindings: [] }]);
			answered = true;
			return { kind: 'ack' };
		});
		const origin = await startNode('origin-4');
		expect(await owner.ownership.acquire(doc)).not.toBeNull();
		expect(await origin.forwarder.forward('slow-4', write(doc, 'late'))).toEqual({ kind: 'timeout' });
		release();
		const deadline = Date.now() + 5000;
		while (!answered && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
		expect(answered).toBe(true);
		// committed late and unacknowledged: the client resends it, and applying it twice is harmless
		expect(await storedText(doc)).toBe('late');
		// forwarding carries on after a timeout
		const next = await origin.forwarder.forward('slow-4', write(doc, 'next '));
		expect(next).toEqual({ kind: 'ack' });
	});
});
