// When the search index is brought up to date (search-index.ts says how). A commit only marks its
// document dirty (the relay's onCommitted hook: a Set insert, nothing on the write path); dirty
// documents are reconciled together at most once per interval, one after another, so a chat lane
// written hundreds of times a second is read a few times a second, not once per message: reading a
// lane is O(lane), and doing it per commit slowed a long conversation's folds under load.
// Nothing is lost across a restart: each reconcile stores how far the document's log was indexed
// (search_indexed.up_to_id, in the same transaction as its rows); shutdown flushes the marks, and
// catchUp at start reindexes every document whose log went further (a crash between a commit and
// its reconcile) or that was never indexed (written before the index existed).
import type { Client } from '@libsql/client';
import type { SearchIndexer } from './app-types.ts';
import { indexedTarget, reconcileStatements, type NameLookup, type StateReader } from './search-index.ts';

/** The default interval between two passes over the dirty documents. */
export const SEARCH_INDEX_INTERVAL_MS = 500;

/** The highest log id a document's state holds now: its newest update, or its snapshot's. */
async function logHead(client: Client, doc: string): Promise<number> {
	const result = await client.execute({
		sql: `SELECT max(coalesce((SELECT max(id) FROM doc_updates WHERE doc = ?), 0),
		                 coalesce((SELECT up_to_id FROM doc_snapshots WHERE doc = ?), 0)) AS head`,
		args: [doc, doc]
	});
	return Number(result.rows[0]?.head ?? 0);
}

/** Reconciles one document and records how far it is indexed, in one transaction. */
async function indexDocument(client: Client, doc: string, readState: StateReader, nameOf: NameLookup): Promise<void> {
	const target = indexedTarget(doc);
	if (!target) return;
	// read before the state: every update up to it is already in the state read below
	const head = await logHead(client, doc);
	const statements = await reconcileStatements(client, target, readState, nameOf);
	statements.push({
		sql: `INSERT INTO search_indexed (doc, up_to_id) VALUES (?, ?)
		      ON CONFLICT (doc) DO UPDATE SET up_to_id = max(up_to_id, excluded.up_to_id)`,
		args: [doc, head]
	});
	await client.batch(statements, 'write');
}

/** Conversation documents whose stored log is ahead of the index (or that were never indexed). */
async function staleDocuments(client: Client): Promise<string[]> {
	const result = await client.execute(`
		SELECT h.doc FROM (
			SELECT doc, max(id) AS head FROM doc_updates WHERE doc LIKE 'c/%' GROUP BY doc
			UNION ALL SELECT doc, up_to_id AS head FROM doc_snapshots WHERE doc LIKE 'c/%'
		) h LEFT JOIN search_indexed i ON i.doc = h.doc
		GROUP BY h.doc HAVING max(h.head) > coalesce(max(i.up_to_id), -1)`);
	return result.rows.map((r) => String(r.doc)).filter((doc) => indexedTarget(doc) !== null);
}

export function createIndexer(
	client: Client,
	readState: StateReader,
	nameOf: NameLookup,
	options: { intervalMs?: number; log?: (message: string) => void } = {}
): SearchIndexer {
	const intervalMs = options.intervalMs ?? SEARCH_INDEX_INTERVAL_MS;
	const log = options.log ?? console.error;
	const dirty = new Set<string>();
	let timer: NodeJS.Timeout | null = null;
	let running: Promise<void> | null = null;
	let stopped = false;

	/** One pass over the documents dirty when it starts; marks made meanwhile wait for the next. */
	const pass = async () => {
		const docs = [...dirty];
		dirty.clear();
		for (const doc of docs) {
			try {
				await indexDocument(client, doc, readState, nameOf);
			} catch (error) {
				// left to catchUp at the next start (its watermark did not move), or to the next commit
				log(`[search] indexing ${doc}: ${String(error)}`);
			}
		}
	};
	const start = () => {
		timer = null;
		running = pass().finally(() => {
			running = null;
			schedule();
		});
	};
	const schedule = () => {
		if (stopped || timer || running || dirty.size === 0) return;
		timer = setTimeout(start, intervalMs);
		timer.unref();
	};
	const flush = async () => {
		for (;;) {
			if (timer) clearTimeout(timer);
			timer = null;
			if (running) await running;
			else if (dirty.size) start();
			else return;
		}
	};
	return {
		mark(doc) {
			if (stopped || !indexedTarget(doc)) return;
			dirty.add(doc);
			schedule();
		},
		flush,
		async catchUp() {
			const stale = await staleDocuments(client);
			for (const doc of stale) dirty.add(doc);
			await flush();
			return stale.length;
		},
		async stop() {
			await flush();
			stopped = true;
		}
	};
}
