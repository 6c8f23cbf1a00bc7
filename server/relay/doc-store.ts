// Durable storage of documents as bytes: an append-only update log plus one compacted snapshot
// per document (DESIGN.md §5). The relay never needs a live Y.Doc to store or serve a document.
import type { Client, InStatement, ResultSet } from '@libsql/client';
import { mergeMany } from './merger.ts';

/** One accepted update waiting to be stored. */
export interface PendingRow {
	doc: string;
	update: Uint8Array;
	userId: string;
	/** Client ids first used by this update, bound to userId. */
	newBindings: Array<[number, string]>;
}

/** What is stored for a document. */
export interface StoredDoc {
	/** Snapshot merged with the log: the whole document as one update. */
	state: Uint8Array;
	/** Number of log rows not yet folded into the snapshot. */
	logRows: number;
	bindings: Map<number, string>;
}

const EMPTY_UPDATE = new Uint8Array([0, 0]);
/** Rows per INSERT statement (4 parameters each; SQLite allows 32,766 parameters). */
const ROWS_PER_INSERT = 100;

function toBytes(value: unknown): Uint8Array {
	if (value instanceof Uint8Array) return value;
	if (value instanceof ArrayBuffer) return new Uint8Array(value);
	throw new Error('expected a blob column');
}

/** Merges a snapshot with its log rows (the relay passes one that runs large merges off the event loop). */
export type MergeParts = (parts: Uint8Array[]) => Promise<Uint8Array>;

/**
 * What the relay needs from durable storage, whatever the database: DocStore (libsql, the
 * embedded default) and PgDocStore (doc-store-pg.ts, several nodes) implement it, and
 * tests/scaleout/doc-store.test.ts runs the same cases against both.
 */
export interface DocStorage {
	/** Reads a document: its snapshot and every log row after it, merged once. */
	load(doc: string): Promise<StoredDoc>;
	/** Stores a batch of accepted updates in ONE transaction; resolves only once it has committed. */
	append(rows: PendingRow[]): Promise<void>;
	/** Folds the log up to `upToId` into the snapshot `state`; later rows stay in the log. */
	compact(doc: string, state: Uint8Array, upToId: number): Promise<void>;
	/** Highest log row id of a document (0 when none). */
	lastLogId(doc: string): Promise<number>;
	/** Removes a document entirely (a deleted conversation). */
	remove(doc: string): Promise<void>;
	/** As append; resolves with each row's log id, in order (several nodes publish them: doc-stream.ts). */
	appendReturningIds?(rows: PendingRow[]): Promise<number[]>;
}

/** A store that can fence appends by owner (several nodes: server/scaleout/ownership.ts). */
export interface ClaimStore {
	/** Claims a document for `nodeId`: the new token fences every earlier claim. */
	claim(doc: string, nodeId: string): Promise<number>;
}

/** An append or compaction refused because this node no longer holds the latest claim on a document. */
export class FencedOut extends Error {
	constructor(readonly docs: string[]) {
		super(`not the owner of ${docs.join(', ')} any more: nothing stored`);
		this.name = 'FencedOut';
	}
}

/** The fencing token this node holds for a document (undefined: none). */
export type FenceOf = (doc: string) => number | undefined;

/** Storage for documents over a libsql client (the same database as the app). */
export class DocStore implements DocStorage, ClaimStore {
	#client: Client;
	#merge: MergeParts;
	#fenceOf: FenceOf | undefined;

	/**
	 * With `fenceOf` (several nodes over one database file), every append and compaction checks
	 * the node's token against `doc_owners` inside its write transaction; SQLite's write lock
	 * orders it against a claim, as PostgreSQL's row lock does in doc-store-pg.ts.
	 */
	constructor(client: Client, merge: MergeParts = async (parts) => mergeMany(parts), fenceOf?: FenceOf) {
		this.#client = client;
		this.#merge = merge;
		this.#fenceOf = fenceOf;
	}

	async claim(doc: string, nodeId: string): Promise<number> {
		const result = await this.#client.execute({
			sql: `INSERT INTO doc_owners (doc, token, node_id, claimed_at) VALUES (?, 1, ?, ?)
			      ON CONFLICT(doc) DO UPDATE SET token = doc_owners.token + 1, node_id = excluded.node_id, claimed_at = excluded.claimed_at
			      RETURNING token`,
			args: [doc, nodeId, Date.now()]
		});
		return Number(result.rows[0].token);
	}

	/** Runs write statements in one transaction, fenced for `docs` when this store is fenced. */
	async #write(docs: string[], statements: InStatement[]): Promise<ResultSet[]> {
		const fenceOf = this.#fenceOf;
		if (!fenceOf) return this.#client.batch(statements, 'write');
		const tx = await this.#client.transaction('write');
		try {
			const unique = [...new Set(docs)];
			const held = await tx.execute({ sql: `SELECT doc, token FROM doc_owners WHERE doc IN (${unique.map(() => '?').join(', ')})`, args: unique });
			const tokens = new Map(held.rows.map((r) => [String(r.doc), Number(r.token)]));
			const lost = unique.filter((doc) => {
				const mine = fenceOf(doc);
				return mine === undefined || tokens.get(doc) !== mine;
			});
			if (lost.length > 0) throw new FencedOut(lost);
			const results = await tx.batch(statements);
			await tx.commit();
			return results;
		} finally {
			tx.close();
		}
	}

	/** Reads a document: its snapshot and every log row after it, merged once. */
	async load(doc: string): Promise<StoredDoc> {
		const [snap, log, clients] = await this.#client.batch(
			[
				{ sql: 'SELECT state, up_to_id FROM doc_snapshots WHERE doc = ?', args: [doc] },
				{
					sql: 'SELECT "update" FROM doc_updates WHERE doc = ? AND id > coalesce((SELECT up_to_id FROM doc_snapshots WHERE doc = ?), 0) ORDER BY id',
					args: [doc, doc]
				},
				{ sql: 'SELECT client_id, user_id FROM doc_clients WHERE doc = ?', args: [doc] }
			],
			'read'
		);
		const parts: Uint8Array[] = [];
		if (snap.rows[0]) parts.push(toBytes(snap.rows[0].state));
		for (const row of log.rows) parts.push(toBytes(row.update));
		const state = parts.length === 0 ? EMPTY_UPDATE : parts.length === 1 ? parts[0] : await this.#merge(parts);
		const bindings = new Map<number, string>();
		for (const row of clients.rows) bindings.set(Number(row.client_id), String(row.user_id));
		return { state, logRows: log.rows.length, bindings };
	}

	/** Stores a batch of accepted updates in ONE transaction; resolves only once it has committed. */
	async append(rows: PendingRow[]): Promise<void> {
		await this.#append(rows, false);
	}

	async appendReturningIds(rows: PendingRow[]): Promise<number[]> {
		return this.#append(rows, true);
	}

	/** One node asks for no ids: RETURNING is left out of its hot path. */
	async #append(rows: PendingRow[], returning: boolean): Promise<number[]> {
		if (rows.length === 0) return [];
		const now = Date.now();
		const statements: InStatement[] = [];
		// one statement per ROWS_PER_INSERT rows: preparing and running a statement per row was a
		// large share of a busy relay's time
		for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
			const chunk = rows.slice(i, i + ROWS_PER_INSERT);
			statements.push({
				sql: `INSERT INTO doc_updates (doc, "update", user_id, created_at) VALUES ${chunk.map(() => '(?, ?, ?, ?)').join(', ')}${returning ? ' RETURNING id' : ''}`,
				args: chunk.flatMap((row) => [row.doc, row.update, row.userId, now])
			});
		}
		for (const row of rows) {
			for (const [clientId, userId] of row.newBindings) {
				statements.push({
					sql: 'INSERT OR IGNORE INTO doc_clients (doc, client_id, user_id) VALUES (?, ?, ?)',
					args: [row.doc, clientId, userId]
				});
			}
		}
		const inserts = Math.ceil(rows.length / ROWS_PER_INSERT);
		const results = await this.#write(
			rows.map((row) => row.doc),
			statements
		);
		// SQLite returns a multi-row INSERT's rows in VALUES order
		return returning ? results.slice(0, inserts).flatMap((result) => result.rows.map((r) => Number(r.id))) : [];
	}

	/**
	 * Folds the log into the snapshot. `state` must contain every logged update of the document
	 * (the room's merged state); rows appended after `load`/this call began stay in the log.
	 */
	async compact(doc: string, state: Uint8Array, upToId: number): Promise<void> {
		// fenced too: a stale owner's state may lack rows a newer owner stored up to upToId
		await this.#write(
			[doc],
			[
				{
					sql: `INSERT INTO doc_snapshots (doc, state, up_to_id, updated_at) VALUES (?, ?, ?, ?)
					      ON CONFLICT(doc) DO UPDATE SET state = excluded.state, up_to_id = excluded.up_to_id, updated_at = excluded.updated_at`,
					args: [doc, state, upToId, Date.now()]
				},
				{ sql: 'DELETE FROM doc_updates WHERE doc = ? AND id <= ?', args: [doc, upToId] }
			]
		);
	}

	/** Highest log row id of a document (0 when none). */
	async lastLogId(doc: string): Promise<number> {
		const result = await this.#client.execute({ sql: 'SELECT max(id) AS id FROM doc_updates WHERE doc = ?', args: [doc] });
		return Number(result.rows[0]?.id ?? 0);
	}

	/** Removes a document entirely (a deleted conversation). */
	async remove(doc: string): Promise<void> {
		await this.#client.batch(
			[
				{ sql: 'DELETE FROM doc_updates WHERE doc = ?', args: [doc] },
				{ sql: 'DELETE FROM doc_snapshots WHERE doc = ?', args: [doc] },
				{ sql: 'DELETE FROM doc_clients WHERE doc = ?', args: [doc] }
			],
			'write'
		);
	}
}
