// The bus of committed updates between nodes, over a real Redis and PostgreSQL: replicas converge
// with the owner, and a replica that missed an entry refills from the store instead of applying
// deletes without the content that replaced them (what hocuspocus#1151 did with broadcast sync
// replies on three nodes).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import * as Y from 'yjs';
import { PgDocStore } from '../../server/relay/doc-store-pg.ts';
import { DocPublisher, DocReplica } from '../../server/scaleout/doc-stream.ts';
import { openPgDatabase, type PgDatabase } from '../../src/lib/server/db/pg.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

let pg: TestPostgres;
let db: PgDatabase;
let redis: TestRedis;
let store: PgDocStore;
const connections: Redis[] = [];
const replicas: DocReplica[] = [];
let counter = 0;

beforeAll(async () => {
	[pg, redis] = await Promise.all([startPostgres(), startRedis()]);
	db = await openPgDatabase(pg.url, { max: 6 });
	store = new PgDocStore(db.sql);
}, 60_000);

afterAll(async () => {
	await Promise.all(replicas.map((r) => r.stop()));
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

/** A node's copy of the document, fed by a replica. */
async function replicaNode(doc: string) {
	const ydoc = new Y.Doc();
	const replica = new DocReplica({ redis: connection(), store, doc, apply: (u) => Y.applyUpdate(ydoc, u) });
	replicas.push(replica);
	await replica.start();
	return { ydoc, replica };
}

/** The owner: edits its own Y.Doc, commits each edit, then (unless told not to) publishes it. */
function owner(doc: string) {
	const ydoc = new Y.Doc();
	ydoc.clientID = 4242;
	const publisher = new DocPublisher(connection());
	publisher.setLast(doc, 0);
	return {
		ydoc,
		async edit(change: (text: Y.Text) => void, publish = true) {
			let update: Uint8Array | null = null;
			const capture = (u: Uint8Array) => (update = u);
			ydoc.once('update', capture);
			ydoc.transact(() => change(ydoc.getText('t'))); // one edit, one update
			const [id] = await store.appendReturningIds([{ doc, update: update!, userId: 'u', newBindings: [] }]);
			if (publish) await publisher.publish(doc, id, update!);
			else publisher.skip(doc, id);
		}
	};
}

async function until(check: () => boolean, what: string, detail?: () => string): Promise<void> {
	const deadline = Date.now() + 10_000;
	while (!check()) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${detail ? `: ${detail()}` : ""}`);
		await new Promise((r) => setTimeout(r, 20));
	}
}

describe('document stream between nodes', () => {
	it('two replicas follow the owner, and one started late loads what it missed', async () => {
		const doc = `stream-${++counter}`;
		const own = owner(doc);
		const b = await replicaNode(doc);
		await own.edit((t) => t.insert(0, 'hello'));
		await own.edit((t) => t.insert(5, ' world'));
		const c = await replicaNode(doc); // joins after two commits
		await own.edit((t) => t.insert(11, '!'));
		for (const node of [b, c]) await until(() => node.ydoc.getText('t').toString() === 'hello world!', 'convergence');
		expect(b.replica.refills).toBe(1); // its start only
	});

	it('a stale replica refills on a gap instead of applying a delete without what replaced it (hocuspocus#1151)', async () => {
		const doc = `stream-${++counter}`;
		const own = owner(doc);
		const fresh = await replicaNode(doc);
		const stale = await replicaNode(doc);
		await own.edit((t) => t.insert(0, 'hello'));
		await until(() => stale.ydoc.getText('t').toString() === 'hello', 'first edit');
		// committed but never published: the owner died between the two, as far as peers can tell
		await own.edit((t) => t.insert(5, ' world'), false);
		// deletes 'hello' and types after ' world': on a replica without ' world' the new text
		// cannot be placed and only the delete takes effect
		await own.edit((t) => {
			t.delete(0, 5);
			t.insert(6, ' bye');
		});
		const expected = ' world bye';
		expect(own.ydoc.getText('t').toString()).toBe(expected);
		for (const node of [fresh, stale]) await until(() => node.ydoc.getText("t").toString() === expected, `replica to show "${expected}"`, () => `"${node.ydoc.getText("t").toString()}" refills ${node.replica.refills} last ${node.replica.lastId}`);
		expect(stale.replica.refills).toBe(2);
	});
});
