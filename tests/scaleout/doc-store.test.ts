// The document store's contract, run unchanged against the libsql store (the embedded default)
// and the PostgreSQL one (several nodes), each on a real database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { DocStore, type DocStorage, type PendingRow } from '../../server/relay/doc-store.ts';
import { PgDocStore } from '../../server/relay/doc-store-pg.ts';
import { openPgDatabase, type PgDatabase } from '../../src/lib/server/db/pg.ts';
import { createTempDatabase } from '../helpers/temp-db.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { createWriter } from '../helpers/ydoc.ts';

interface Backend {
	name: string;
	open(): Promise<{ store: DocStorage; close(): Promise<void> }>;
}

let pg: TestPostgres | null = null;
let pgDb: PgDatabase | null = null;
let docCounter = 0;
/** A document id no other case uses (the pg database is shared by the cases). */
const freshDoc = () => `conv-${process.pid}-${++docCounter}`;

const backends: Backend[] = [
	{
		name: 'libsql',
		async open() {
			const database = await createTempDatabase();
			return { store: new DocStore(database.client), close: () => database.cleanup() };
		}
	},
	{
		name: 'postgres',
		async open() {
			pg ??= await startPostgres();
			pgDb ??= await openPgDatabase(pg.url, { max: 4 });
			return { store: new PgDocStore(pgDb.sql), close: async () => {} };
		}
	}
];

afterAll(async () => {
	await pgDb?.close();
	await pg?.stop();
}, 60_000);

function textOf(state: Uint8Array): string {
	const doc = new Y.Doc();
	Y.applyUpdate(doc, state);
	return doc.getText('t').toString();
}

function row(doc: string, update: Uint8Array, userId = 'u1', newBindings: Array<[number, string]> = []): PendingRow {
	return { doc, update, userId, newBindings };
}

describe.each(backends)('document store: $name', (backend) => {
	let store: DocStorage;
	let close: () => Promise<void>;
	beforeAll(async () => {
		({ store, close } = await backend.open());
	}, 60_000);
	afterAll(async () => close());

	it('a document never written loads as the empty update with no rows and no bindings', async () => {
		const loaded = await store.load(freshDoc());
		expect(Array.from(loaded.state)).toEqual([0, 0]);
		expect(loaded.logRows).toBe(0);
		expect(loaded.bindings.size).toBe(0);
		expect(await store.lastLogId(freshDoc())).toBe(0);
	});

	it('stores every update of a batch and loads them merged, in order, per document', async () => {
		const doc = freshDoc();
		const other = freshDoc();
		const w = createWriter(1001);
		w.doc.getText('t').insert(0, 'hello');
		const a = w.take();
		w.doc.getText('t').insert(5, ' world');
		const b = w.take();
		const o = createWriter(2002);
		o.doc.getText('t').insert(0, 'elsewhere');
		await store.append([row(doc, a, 'u1', [[1001, 'u1']]), row(other, o.take(), 'u2', [[2002, 'u2']]), row(doc, b)]);
		const loaded = await store.load(doc);
		expect(textOf(loaded.state)).toBe('hello world');
		expect(loaded.logRows).toBe(2);
		expect([...loaded.bindings]).toEqual([[1001, 'u1']]);
		expect(textOf((await store.load(other)).state)).toBe('elsewhere');
	});

	it('keeps the first user bound to a client id; a later claim by another user is ignored', async () => {
		const doc = freshDoc();
		const w = createWriter(0xfffffff0); // Yjs client ids are uint32: beyond a 32-bit signed int
		w.doc.getText('t').insert(0, 'x');
		await store.append([row(doc, w.take(), 'alice', [[0xfffffff0, 'alice']])]);
		w.doc.getText('t').insert(1, 'y');
		await store.append([row(doc, w.take(), 'mallory', [[0xfffffff0, 'mallory']])]);
		expect([...(await store.load(doc)).bindings]).toEqual([[0xfffffff0, 'alice']]);
	});

	it('a batch with one bad row stores nothing of the batch', async () => {
		const doc = freshDoc();
		const w = createWriter(3003);
		w.doc.getText('t').insert(0, 'kept');
		await store.append([row(doc, w.take())]);
		w.doc.getText('t').insert(4, ' lost');
		const good = w.take();
		const bad = { doc: null as unknown as string, update: good, userId: 'u1', newBindings: [] };
		await expect(store.append([row(doc, good, 'u1', [[3004, 'u1']]), bad])).rejects.toThrow();
		const loaded = await store.load(doc);
		expect(textOf(loaded.state)).toBe('kept');
		expect(loaded.logRows).toBe(1);
		expect(loaded.bindings.size).toBe(0);
	});

	it('stores a batch larger than one INSERT statement holds', async () => {
		const doc = freshDoc();
		const w = createWriter(4004);
		const rows: PendingRow[] = [];
		for (let i = 0; i < 1500; i++) {
			w.doc.getText('t').insert(i, 'a');
			rows.push(row(doc, w.take()));
		}
		await store.append(rows);
		const loaded = await store.load(doc);
		expect(loaded.logRows).toBe(1500);
		expect(textOf(loaded.state)).toBe('a'.repeat(1500));
	});

	it('compaction folds the log up to a row into the snapshot and keeps rows appended after it', async () => {
		const doc = freshDoc();
		const w = createWriter(5005);
		w.doc.getText('t').insert(0, 'one');
		await store.append([row(doc, w.take())]);
		w.doc.getText('t').insert(3, ' two');
		await store.append([row(doc, w.take())]);
		const upTo = await store.lastLogId(doc);
		expect(upTo).toBeGreaterThan(0);
		const before = await store.load(doc);
		// a write lands between reading the state and compacting it
		w.doc.getText('t').insert(7, ' three');
		await store.append([row(doc, w.take())]);
		await store.compact(doc, before.state, upTo);
		const after = await store.load(doc);
		expect(after.logRows).toBe(1);
		expect(textOf(after.state)).toBe('one two three');
		expect(await store.lastLogId(doc)).toBeGreaterThan(upTo);
		// compacting again over the snapshot replaces it
		await store.compact(doc, after.state, await store.lastLogId(doc));
		const again = await store.load(doc);
		expect(again.logRows).toBe(0);
		expect(textOf(again.state)).toBe('one two three');
	});

	it('removing a document deletes its log, snapshot and bindings and nothing of another', async () => {
		const doc = freshDoc();
		const other = freshDoc();
		const w = createWriter(6006);
		w.doc.getText('t').insert(0, 'gone');
		await store.append([row(doc, w.take(), 'u1', [[6006, 'u1']])]);
		await store.compact(doc, (await store.load(doc)).state, await store.lastLogId(doc));
		w.doc.getText('t').insert(4, '!');
		await store.append([row(doc, w.take())]);
		const o = createWriter(7007);
		o.doc.getText('t').insert(0, 'stays');
		await store.append([row(other, o.take(), 'u2', [[7007, 'u2']])]);
		await store.remove(doc);
		const loaded = await store.load(doc);
		expect(Array.from(loaded.state)).toEqual([0, 0]);
		expect(loaded.bindings.size).toBe(0);
		expect(textOf((await store.load(other)).state)).toBe('stays');
		expect((await store.load(other)).bindings.size).toBe(1);
	});
});
