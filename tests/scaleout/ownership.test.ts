// Document ownership over a real Redis and a real PostgreSQL: one owner at a time, and an owner
// that lost its claim (paused past its lease, Redis restarted, a racing claim) cannot commit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { FencedOut, PgDocStore } from '../../server/relay/doc-store-pg.ts';
import { Ownership, leaseKey } from '../../server/scaleout/ownership.ts';
import { openPgDatabase, type PgDatabase } from '../../src/lib/server/db/pg.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { createWriter } from '../helpers/ydoc.ts';

let pg: TestPostgres;
let db: PgDatabase;
let redis: TestRedis;
const clients: Redis[] = [];
const nodes: Ownership[] = [];
let counter = 0;
const freshDoc = () => `owned-${++counter}`;

beforeAll(async () => {
	[pg, redis] = await Promise.all([startPostgres(), startRedis()]);
	db = await openPgDatabase(pg.url, { max: 8 });
}, 60_000);

afterAll(async () => {
	for (const node of nodes) node.stop();
	for (const client of clients) client.disconnect();
	await db?.close();
	await Promise.all([pg?.stop(), redis?.stop()]);
}, 60_000);

/** One node's view: its Redis client, its ownership and a store fenced with its tokens. */
function node(nodeId: string, leaseMs = 1000) {
	const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
	client.on('error', () => {}); // reconnects by itself across the Redis restart below
	clients.push(client);
	let ownership: Ownership | null = null;
	// the store asks the ownership for tokens; `forceToken` stands in for a node whose clock
	// has not noticed yet that its lease ran out (a paused process right after SIGCONT)
	const forced = new Map<string, number>();
	const store = new PgDocStore(db.sql, { fenceOf: (doc) => forced.get(doc) ?? ownership!.tokenOf(doc) });
	ownership = new Ownership({ redis: client, store, nodeId, leaseMs });
	nodes.push(ownership);
	return { ownership, store, forceToken: (doc: string, token: number) => forced.set(doc, token) };
}

function update(clientId: number, text: string): Uint8Array {
	const w = createWriter(clientId);
	w.doc.getText('t').insert(0, text);
	return w.take();
}

async function logRows(doc: string): Promise<number> {
	return (await new PgDocStore(db.sql).load(doc)).logRows;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('document ownership', () => {
	it('gives a free document to exactly one of two nodes; the other sees who holds it', async () => {
		const doc = freshDoc();
		const a = node('a');
		const b = node('b');
		const [ta, tb] = await Promise.all([a.ownership.acquire(doc), b.ownership.acquire(doc)]);
		expect([ta, tb].filter((t) => t !== null)).toHaveLength(1);
		const winner = ta !== null ? 'a' : 'b';
		expect(await a.ownership.ownerOf(doc)).toBe(winner);
		expect((await a.store.currentOwner(doc)).nodeId).toBe(winner);
	});

	it('keeps the lease while renewing, far past its length', async () => {
		const doc = freshDoc();
		const a = node('a', 600);
		const b = node('b', 600);
		expect(await a.ownership.acquire(doc)).not.toBeNull();
		await sleep(2000);
		expect(await b.ownership.acquire(doc)).toBeNull();
		expect(a.ownership.tokenOf(doc)).toBeDefined();
		await a.store.append([{ doc, update: update(1, 'still mine'), userId: 'u', newBindings: [] }]);
		expect(await logRows(doc)).toBe(1);
	});

	it('an owner paused past its lease cannot commit after another node took over', async () => {
		const doc = freshDoc();
		const a = node('a', 400);
		const b = node('b', 400);
		const ta = await a.ownership.acquire(doc);
		expect(ta).not.toBeNull();
		await a.store.append([{ doc, update: update(1, 'before'), userId: 'u', newBindings: [] }]);
		// "pause" a: its renewals stop, the lease runs out in Redis
		a.ownership.stop();
		a.forceToken(doc, ta!);
		await sleep(700);
		const tb = await b.ownership.acquire(doc);
		expect(tb).toBeGreaterThan(ta!);
		// a resumes believing it still owns the document: the store refuses, nothing is stored
		await expect(a.store.append([{ doc, update: update(2, 'stale'), userId: 'u', newBindings: [[2, 'u']] }])).rejects.toBeInstanceOf(FencedOut);
		await b.store.append([{ doc, update: update(3, 'after'), userId: 'u', newBindings: [] }]);
		const stored = await new PgDocStore(db.sql).load(doc);
		expect(stored.logRows).toBe(2);
		expect(stored.bindings.has(2)).toBe(false);
	});

	it('a node that sees its own lease deadline passed stops before the store has to refuse it', async () => {
		const doc = freshDoc();
		const a = node('a', 400);
		expect(await a.ownership.acquire(doc)).not.toBeNull();
		a.ownership.stop(); // renewals stop but the token is forgotten too: as after a pause
		await expect(a.store.append([{ doc, update: update(1, 'x'), userId: 'u', newBindings: [] }])).rejects.toBeInstanceOf(FencedOut);
		expect(await logRows(doc)).toBe(0);
	});

	it('after a Redis restart (leases and counters gone) the new claim still fences the old owner', async () => {
		const doc = freshDoc();
		const a = node('a', 5000);
		const b = node('b', 5000);
		const ta = await a.ownership.acquire(doc);
		expect(ta).not.toBeNull();
		a.forceToken(doc, ta!);
		await redis.restart();
		expect(await b.ownership.ownerOf(doc)).toBeNull();
		const tb = await b.ownership.acquire(doc);
		// a Redis INCR would have restarted at 1 here and collided with a's token
		expect(tb).toBeGreaterThan(ta!);
		await expect(a.store.append([{ doc, update: update(1, 'stale'), userId: 'u', newBindings: [] }])).rejects.toBeInstanceOf(FencedOut);
		await b.store.append([{ doc, update: update(2, 'new owner'), userId: 'u', newBindings: [] }]);
		expect(await logRows(doc)).toBe(1);
	}, 30_000);

	it('of many racing claims only the last one commits: two committing owners cannot exist', async () => {
		const doc = freshDoc();
		const racers = Array.from({ length: 8 }, (_, i) => node(`r${i}`));
		const tokens = await Promise.all(racers.map((r, i) => r.store.claim(doc, `r${i}`)));
		expect(new Set(tokens).size).toBe(tokens.length);
		racers.forEach((r, i) => r.forceToken(doc, tokens[i]));
		const results = await Promise.allSettled(
			racers.map((r, i) => r.store.append([{ doc, update: update(100 + i, `r${i}`), userId: 'u', newBindings: [] }]))
		);
		const committed = results.map((r, i) => (r.status === 'fulfilled' ? tokens[i] : null)).filter((t) => t !== null);
		expect(committed).toEqual([Math.max(...tokens)]);
		for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(FencedOut);
		expect(await logRows(doc)).toBe(1);
	});

	it('releases only its own lease', async () => {
		const doc = freshDoc();
		const a = node('a', 400);
		const b = node('b', 5000);
		expect(await a.ownership.acquire(doc)).not.toBeNull();
		a.ownership.stop();
		await sleep(600);
		expect(await b.ownership.acquire(doc)).not.toBeNull();
		// a, late, releases what it thinks it holds: b's lease must survive
		await a.ownership.release(doc);
		const raw = new Redis(redis.url);
		raw.on('error', () => {});
		clients.push(raw);
		expect(await raw.get(leaseKey(doc))).toBe('b');
	});
});
