// The document log, snapshots and client bindings over PostgreSQL: the same contract as the
// libsql DocStore (doc-store.ts), for several nodes sharing one database.
import type { Sql, TransactionSql } from 'postgres';
import { mergeMany } from './merger.ts';
import { FencedOut, type ClaimStore, type DocStorage, type MergeParts, type PendingRow, type StoredDoc } from './doc-store.ts';

const EMPTY_UPDATE = new Uint8Array([0, 0]);
/** Rows per INSERT (4 parameters each; PostgreSQL allows 65,535 parameters per statement). */
const ROWS_PER_INSERT = 1000;

function toBytes(value: unknown): Uint8Array {
	if (value instanceof Uint8Array) return value;
	throw new Error('expected a bytea column');
}

export { FencedOut };

export interface PgDocStoreOptions {
	merge?: MergeParts;
	/**
	 * The fencing token this node holds for a document (undefined: none). When given, every
	 * append checks it against `doc_owners` inside its own transaction (docs/ARCHITECTURE.md,
	 * "Ownership"); without it the store is unfenced, for a single node.
	 */
	fenceOf?: (doc: string) => number | undefined;
}

export class PgDocStore implements DocStorage, ClaimStore {
	#sql: Sql;
	#merge: MergeParts;
	#fenceOf: PgDocStoreOptions['fenceOf'];

	constructor(sql: Sql, options: PgDocStoreOptions = {}) {
		this.#sql = sql;
		this.#merge = options.merge ?? (async (parts) => mergeMany(parts));
		this.#fenceOf = options.fenceOf;
	}

	/**
	 * Claims a document for `nodeId`: the new token fences every earlier claim. Waits for appends
	 * holding the row (FOR SHARE) to commit, so a load after this sees everything they stored.
	 */
	async claim(doc: string, nodeId: string): Promise<number> {
		const [row] = await this.#sql`
			INSERT INTO doc_owners (doc, token, node_id, claimed_at) VALUES (${doc}, 1, ${nodeId}, ${Date.now()})
			ON CONFLICT (doc) DO UPDATE SET token = doc_owners.token + 1, node_id = excluded.node_id, claimed_at = excluded.claimed_at
			RETURNING token`;
		return Number(row.token);
	}

	/** The current claim on a document (token 0 when never claimed). */
	async currentOwner(doc: string): Promise<{ token: number; nodeId: string | null }> {
		const [row] = await this.#sql`SELECT token, node_id FROM doc_owners WHERE doc = ${doc}`;
		return row ? { token: Number(row.token), nodeId: String(row.node_id) } : { token: 0, nodeId: null };
	}

	async load(doc: string): Promise<StoredDoc> {
		// one snapshot of the database for all three reads, as libsql's read batch is: a compaction
		// committing between them would otherwise drop or double rows
		const [snap, log, clients] = await this.#sql.begin('isolation level repeatable read read only', async (sql) => [
			await sql`SELECT state, up_to_id FROM doc_snapshots WHERE doc = ${doc}`,
			await sql`SELECT "update" FROM doc_updates
			          WHERE doc = ${doc} AND id > coalesce((SELECT up_to_id FROM doc_snapshots WHERE doc = ${doc}), 0)
			          ORDER BY id`,
			await sql`SELECT client_id, user_id FROM doc_clients WHERE doc = ${doc}`
		]);
		const parts: Uint8Array[] = [];
		if (snap[0]) parts.push(toBytes(snap[0].state));
		for (const row of log) parts.push(toBytes(row.update));
		const state = parts.length === 0 ? EMPTY_UPDATE : parts.length === 1 ? parts[0] : await this.#merge(parts);
		const bindings = new Map<number, string>();
		for (const row of clients) bindings.set(Number(row.client_id), String(row.user_id));
		return { state, logRows: log.length, bindings };
	}

	async append(rows: PendingRow[]): Promise<void> {
		await this.appendReturningIds(rows);
	}

	/** As append; resolves with each row's log id, in order (the bus publishes them). */
	async appendReturningIds(rows: PendingRow[]): Promise<number[]> {
		if (rows.length === 0) return [];
		const now = Date.now();
		const ids: number[] = [];
		const fenceOf = this.#fenceOf;
		await this.#sql.begin(async (sql) => {
			await this.#fence(sql, rows.map((row) => row.doc));
			for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
				const chunk = rows.slice(i, i + ROWS_PER_INSERT).map((row) => ({
					doc: row.doc,
					update: row.update,
					user_id: row.userId,
					created_at: now
				}));
				const inserted = await sql`INSERT INTO doc_updates ${sql(chunk, 'doc', 'update', 'user_id', 'created_at')} RETURNING id`;
				// a multi-row INSERT … RETURNING returns rows in VALUES order in PostgreSQL
				for (const r of inserted) ids.push(Number(r.id));
			}
			const bindings = rows.flatMap((row) =>
				row.newBindings.map(([clientId, userId]) => ({ doc: row.doc, client_id: clientId, user_id: userId }))
			);
			for (let i = 0; i < bindings.length; i += ROWS_PER_INSERT) {
				const chunk = bindings.slice(i, i + ROWS_PER_INSERT);
				// the first writer of a client id keeps it, as libsql's INSERT OR IGNORE does
				await sql`INSERT INTO doc_clients ${sql(chunk, 'doc', 'client_id', 'user_id')} ON CONFLICT DO NOTHING`;
			}
		});
		return ids;
	}

	/** Inside a transaction: throws FencedOut unless this node holds the latest claim on every doc (fenced stores only). */
	async #fence(sql: TransactionSql, rows: string[]): Promise<void> {
		const fenceOf = this.#fenceOf;
		if (!fenceOf) return;
		const docs = [...new Set(rows)];
		// FOR SHARE: a concurrent claim (an UPDATE of the row) waits for this commit, or this
		// waits for the claim and then sees the new token
		const held = await sql`SELECT doc, token FROM doc_owners WHERE doc = ANY(${docs}) FOR SHARE`;
		const tokens = new Map(held.map((r) => [String(r.doc), Number(r.token)]));
		const lost = docs.filter((doc) => {
			const mine = fenceOf(doc);
			return mine === undefined || tokens.get(doc) !== mine;
		});
		if (lost.length > 0) throw new FencedOut(lost);
	}

	async compact(doc: string, state: Uint8Array, upToId: number): Promise<void> {
		const now = Date.now();
		await this.#sql.begin(async (sql) => {
			// fenced too: a stale owner's state may lack rows a newer owner stored up to upToId
			await this.#fence(sql, [doc]);
			await sql`INSERT INTO doc_snapshots (doc, state, up_to_id, updated_at) VALUES (${doc}, ${state}, ${upToId}, ${now})
			          ON CONFLICT (doc) DO UPDATE SET state = excluded.state, up_to_id = excluded.up_to_id, updated_at = excluded.updated_at`;
			await sql`DELETE FROM doc_updates WHERE doc = ${doc} AND id <= ${upToId}`;
		});
	}

	async lastLogId(doc: string): Promise<number> {
		const [row] = await this.#sql`SELECT max(id) AS id FROM doc_updates WHERE doc = ${doc}`;
		return Number(row?.id ?? 0);
	}

	async remove(doc: string): Promise<void> {
		await this.#sql.begin(async (sql) => {
			await sql`DELETE FROM doc_updates WHERE doc = ${doc}`;
			await sql`DELETE FROM doc_snapshots WHERE doc = ${doc}`;
			await sql`DELETE FROM doc_clients WHERE doc = ${doc}`;
		});
	}
}
