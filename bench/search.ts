// Search over 50,000 messages (issue 13: answers in under 100 ms). Builds a corpus in a temp db —
// 5,000 email conversations of 10 messages each, rows made by the indexer's own searchRowOf from
// thread records, a few labelled conversations and a guest in 50 of them — then times search()
// (parse, FTS5 match, bm25 ranking, snippets, computeAccess per hit) for a member and a guest.
// Run by `npm run bench` (scenario `search`), or alone: `npx tsx bench/search.ts`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createApp } from '../src/lib/server/app.ts';
import { readConfig } from '../src/lib/server/config.ts';
import { search } from '../src/lib/server/search.ts';
import { searchRowOf, upsertStatement } from '../src/lib/server/search-index.ts';
import { stopNotificationEmails } from '../src/lib/server/notifications.ts';

export const SEARCH_MESSAGES = 50_000;
const PER_CONVERSATION = 10;
const RUNS = Number(process.env.BENCH_SEARCH_RUNS) || 15;
export const SEARCH_TARGET_MS = 100;

export type QueryFigures = { who: 'member' | 'guest'; query: string; hits: number; min: number; median: number; max: number };
export type SearchFigures = { messages: number; buildMs: number; queries: QueryFigures[]; worstMedian: number; worstMax: number };

// a deterministic corpus: a Zipf-like vocabulary, so common words match thousands of messages
let seed = 42;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const SYLLABLES = ['ka', 'lo', 'mi', 'ren', 'to', 'sa', 'vel', 'dor', 'pi', 'nu', 'gar', 'el', 'shi', 'bo', 'tan'];
const COMMON = ['order', 'glass', 'invoice', 'delivery', 'please', 'thanks', 'broken', 'refund', 'shipping', 'address', 'table', 'chair', 'lamp', 'week'];
const vocabulary = [...COMMON];
for (let i = 0; vocabulary.length < 3000; i++) {
	const word = Array.from({ length: 2 + (i % 3) }, () => SYLLABLES[Math.floor(random() * SYLLABLES.length)]).join('');
	if (!vocabulary.includes(word)) vocabulary.push(word);
}
const word = () => vocabulary[Math.floor(vocabulary.length * random() ** 3)]; // skewed towards the first words
const sentence = (n: number) => Array.from({ length: n }, word).join(' ');
const FIRST = ['Dana', 'Fox', 'Grace', 'Ada', 'Linus', 'Margaret', 'Ken', 'Barbara', 'Alan', 'Edsger'];
const LAST = ['Scully', 'Mulder', 'Hopper', 'Lovelace', 'Torvalds', 'Hamilton', 'Thompson', 'Liskov', 'Turing', 'Dijkstra'];

const QUERIES: Array<{ who: 'member' | 'guest'; query: string }> = [
	{ who: 'member', query: 'glass' },
	{ who: 'member', query: 'broken glass' },
	{ who: 'member', query: '"glass order"' },
	{ who: 'member', query: 'scully' },
	{ who: 'member', query: 'from:dana@example.com refund' },
	{ who: 'member', query: 'to:support invoice' },
	{ who: 'member', query: 'has:attachment invoice' },
	{ who: 'member', query: 'is:open delivery' },
	{ who: 'member', query: 'label:urgent glass' },
	{ who: 'member', query: 'zzqx' }, // no match at all
	{ who: 'guest', query: 'glass' },
	{ who: 'guest', query: 'order' }
];

export async function benchSearch(log: (message: string) => void = console.log): Promise<SearchFigures> {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-search-'));
	const app = await createApp({ ...readConfig(), databaseUrl: `file:${path.join(dir, 'parley.db')}` }, { log: () => {} });
	try {
		const began = performance.now();
		const now = Date.now();
		const conversations = SEARCH_MESSAGES / PER_CONVERSATION;
		await app.client.batch(
			[
				{ sql: `INSERT INTO organizations (id, name, created_at) VALUES ('so', 'Search bench', ?)`, args: [now] },
				{ sql: `INSERT INTO users (id, email, name, created_at, email_verified_at) VALUES ('member', 'member@bench.example', 'Mia Member', ?, ?), ('guest', 'guest@bench.example', 'Gus Guest', ?, ?)`, args: [now, now, now, now] },
				{ sql: `INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ('so', 'member', 'member', ?)`, args: [now] }
			],
			'write'
		);
		log(`search: building ${SEARCH_MESSAGES.toLocaleString('en')} messages in ${conversations.toLocaleString('en')} conversations`);
		for (let c = 0; c < conversations; c += 250) {
			const statements = [];
			for (let i = c; i < Math.min(conversations, c + 250); i++) {
				const id = `sc${i}`;
				const subject = `${word()} ${word()} ${word()}`;
				statements.push({ sql: `INSERT INTO conversations (id, org_id, subject, kind, guests_allowed, created_at, last_activity_at) VALUES (?, 'so', ?, 'email', 1, ?, ?)`, args: [id, subject, now, now] });
				if (i % 100 === 0) statements.push({ sql: `INSERT INTO conversation_participants (conversation_id, user_id, role, invited_by, added_at) VALUES (?, 'guest', 'guest', 'member', ?)`, args: [id, now] });
				for (let m = 0; m < PER_CONVERSATION; m++) {
					const first = FIRST[Math.floor(random() * FIRST.length)];
					const last = LAST[Math.floor(random() * LAST.length)];
					const record = {
						id: `m${m}`,
						direction: m % 2 === 0 ? 'in' : 'out',
						from: { name: `${first} ${last}`, address: `${first.toLowerCase()}@example.com` },
						to: [{ name: 'Support', address: 'support@acme.test' }],
						cc: [],
						subject: m === 0 ? subject : `Re: ${subject}`,
						text: `${sentence(20 + Math.floor(random() * 60))}.\n\n${sentence(10)}.`,
						sentAt: now - (conversations - i) * 60_000 + m,
						messageId: `<${id}-${m}@example.com>`,
						attachments: random() < 0.1 ? [{ id: `a${i}${m}`, name: `${word()}.pdf`, size: 1000, contentType: 'application/pdf' }] : []
					};
					const row = searchRowOf(id, 'thread', `m${m}`, record);
					if (!row) throw new Error('the bench record is not a thread message');
					statements.push(upsertStatement(row));
				}
			}
			await app.client.batch(statements, 'write');
		}
		// a label on 200 conversations, read from the real documents by the label: filter
		await app.relay.serverEdit('o/so/labels', (doc) => doc.getMap('labels').set('urgent', { id: 'urgent', name: 'Urgent', color: '#d93025', createdBy: 'member' }));
		for (let i = 0; i < conversations; i += 25) {
			await app.relay.serverEdit(`c/sc${i}/internal`, (doc) => doc.getMap('labels').set('urgent', { labelId: 'urgent', appliedBy: 'member', appliedAt: now }));
		}
		await app.searchIndex.flush(); // the label tags come from the internal documents through the indexer
		const buildMs = performance.now() - began;
		log(`search: corpus built in ${(buildMs / 1000).toFixed(1)} s; ${QUERIES.length} queries × ${RUNS} runs`);

		const queries: QueryFigures[] = [];
		for (const { who, query } of QUERIES) {
			const times: number[] = [];
			let hits = 0;
			await search(app, who, query); // warm-up: the first run pays for page cache and statement compilation
			for (let run = 0; run < RUNS; run++) {
				const t = performance.now();
				const result = await search(app, who, query);
				times.push(performance.now() - t);
				if (!result.ok) throw new Error(`${query}: ${result.message}`);
				hits = result.hits.length;
			}
			times.sort((a, b) => a - b);
			queries.push({ who, query, hits, min: times[0], median: times[Math.floor(times.length / 2)], max: times[times.length - 1] });
		}
		return {
			messages: SEARCH_MESSAGES,
			buildMs,
			queries,
			worstMedian: Math.max(...queries.map((q) => q.median)),
			worstMax: Math.max(...queries.map((q) => q.max))
		};
	} finally {
		await app.close();
		stopNotificationEmails(app);
		if (process.env.BENCH_SEARCH_KEEP) log(`search: corpus kept in ${dir}`);
		else fs.rmSync(dir, { recursive: true, force: true });
	}
}

/** The rows of the bench table (run.ts) and the per-query notes. */
export function searchTableLines(f: SearchFigures): string[] {
	const met = f.worstMedian < SEARCH_TARGET_MS ? 'yes' : 'no';
	return [
		`| search over ${f.messages.toLocaleString('en')} messages: slowest query's median (max) ms, ${QUERIES.length} queries × ${RUNS} runs | ${f.worstMedian.toFixed(1)} (${f.worstMax.toFixed(1)}) | — | | < ${SEARCH_TARGET_MS} ms | ${met} |`
	];
}

export function searchNotes(f: SearchFigures): string[] {
	return [
		`- Search: in-process search() (parse, FTS5 match, bm25, snippets, computeAccess per hit) over ${f.messages.toLocaleString('en')} email messages (corpus built in ${(f.buildMs / 1000).toFixed(1)} s). Per query, min / median / max ms and hits:`,
		...f.queries.map((q) => `  - ${q.who} \`${q.query}\`: ${q.min.toFixed(1)} / ${q.median.toFixed(1)} / ${q.max.toFixed(1)} ms, ${q.hits} hits`)
	];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
	const figures = await benchSearch();
	console.log([...searchTableLines(figures), '', ...searchNotes(figures)].join('\n'));
}
