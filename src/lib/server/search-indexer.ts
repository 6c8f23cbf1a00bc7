// When the search index is brought up to date (search-index.ts says how). A commit only marks its
// document dirty (the relay's onCommitted hook: a map write, nothing on the write path). A dirty
// document is reconciled once it has been quiet for a moment, or at the latest a few seconds after
// its first mark when writes never stop, one document at a time. Reading a lane is O(lane), and a
// loaded room's whole-state merge holds that room's merge lock: done per commit, or even a few
// times a second, it kept a long conversation's folds waiting during a burst (parts piled up).
// Nothing is lost across a restart: each reconcile stores how far the document's log was indexed
// (search_indexed.up_to_id, in the same transaction as its rows); shutdown flushes the marks, and
// catchUp at start reindexes every document whose log went further (a crash between a commit and
// its reconcile) or that was never indexed (written before the index existed).
import type { Client } from '@libsql/client';
import type { SearchIndexer } from './app-types.ts';
import { indexedTarget, reconcileStatements, type NameLookup, type StateReader } from './search-index.ts';

/** When a dirty document is indexed: after this much quiet... */
export const SEARCH_INDEX_QUIET_MS = 1000;
/** ...or at the latest this long after its first mark, however busy it stays. */
export const SEARCH_INDEX_MAX_DELAY_MS = 10_000;
/** How often due documents are looked for while any is dirty. */
const TICK_MS = 250;

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
	options: { quietMs?: number; maxDelayMs?: number; log?: (message: string) => void } = {}
): SearchIndexer {
	const quietMs = options.quietMs ?? SEARCH_INDEX_QUIET_MS;
	const maxDelayMs = options.maxDelayMs ?? SEARCH_INDEX_MAX_DELAY_MS;
	const log = options.log ?? console.error;
	/** Dirty documents: when first and last marked since they were last indexed. */
	const dirty = new Map<string, { first: number; last: number }>();
	let timer: NodeJS.Timeout | null = null;
	let running: Promise<void> | null = null;
	let stopped = false;

	const due = (now: number) => [...dirty].filter(([, m]) => now - m.last >= quietMs || now - m.first >= maxDelayMs).map(([doc]) => doc);
	/** Indexes `docs` one after another; a mark made meanwhile waits for a later pass. */
	const pass = async (docs: string[]) => {
		for (const doc of docs) dirty.delete(doc);
		for (const doc of docs) {
			try {
				await indexDocument(client, doc, readState, nameOf);
			} catch (error) {
				// left to catchUp at the next start (its watermark did not move), or to the next commit
				log(`[search] indexing ${doc}: ${String(error)}`);
			}
		}
	};
	const start = (docs: string[]) => {
		running = pass(docs).finally(() => {
			running = null;
			schedule();
		});
	};
	const tick = () => {
		timer = null;
		const docs = due(Date.now());
		if (docs.length) start(docs);
		else schedule();
	};
	const schedule = () => {
		if (stopped || timer || running || dirty.size === 0) return;
		timer = setTimeout(tick, TICK_MS);
		timer.unref();
	};
	const flush = async () => {
		for (;;) {
			if (timer) clearTimeout(timer);
			timer = null;
			if (running) await running;
			else if (dirty.size) start([...dirty.keys()]);
			else return;
		}
	};
	return {
		mark(doc) {
			if (stopped || !indexedTarget(doc)) return;
			const now = Date.now();
			const seen = dirty.get(doc);
			if (seen) seen.last = now;
			else dirty.set(doc, { first: now, last: now });
			schedule();
		},
		flush,
		async catchUp() {
			const stale = await staleDocuments(client);
			const now = Date.now();
			for (const doc of stale) if (!dirty.has(doc)) dirty.set(doc, { first: now, last: now });
			await flush();
			return stale.length;
		},
		async stop() {
			await flush();
			stopped = true;
		}
	};
}
