// Search with no network: plain case-insensitive term matching over the records this device's
// replica holds (issue 13, "Offline, search works over what the local replica holds"). Pure, so it
// is tested apart from IndexedDB. The replica holds only what its person may read (the relay sends
// nothing else), so searching it can find nothing she could not open; and it never holds the
// internal lane's names, so label:, assignee: and is: are not answered here.
import { MARK_END, MARK_START, parseSearchQuery, type SearchHit } from './search-query.ts';

/** One searchable record of a lane document: an email, a chat message or a task. */
export interface LocalSearchItem {
	conversationId: string;
	subject: string;
	kind: 'email' | 'channel';
	lane: 'thread' | 'chat' | 'tasks';
	/** What is shown in the snippet: an email's or chat message's text, a task's title and description. */
	text: string;
	/** Sender's name and address (emails; the author's name in chat, when known). */
	from: string;
	/** Recipients' names and addresses (emails). */
	to: string;
	at: number;
	hasAttachment: boolean;
}

/** The server's hit shape, so the list shows both alike. */
export type LocalSearchHit = SearchHit;

export type LocalSearchAnswer = { ok: true; hits: LocalSearchHit[] } | { ok: false; message: string };

export const OFFLINE_FILTERS_MESSAGE = 'Offline, label:, assignee: and is: cannot be answered: they need a connection. Words, "phrases", from:, to: and has:attachment work.';

const SNIPPET_BEFORE = 40;
const SNIPPET_LENGTH = 160;

/** Matches `query` (the search box's language) against the items; one hit per conversation, its newest match, newest first. */
export function searchLocalItems(query: string, items: LocalSearchItem[], limit = 50): LocalSearchAnswer {
	const parsed = parseSearchQuery(query);
	if (!parsed.ok) return parsed;
	const q = parsed.query;
	if (q.labels.length || q.assignees.length || q.status) return { ok: false, message: OFFLINE_FILTERS_MESSAGE };
	const terms = q.terms.map((t) => t.toLowerCase()).filter(Boolean);
	const from = q.from.map((t) => t.toLowerCase());
	const to = q.to.map((t) => t.toLowerCase());
	if (!terms.length && !from.length && !to.length && !q.hasAttachment) return { ok: true, hits: [] };

	const best = new Map<string, LocalSearchItem>();
	for (const item of items) {
		if (q.hasAttachment && !item.hasAttachment) continue;
		const sender = item.from.toLowerCase();
		const recipients = item.to.toLowerCase();
		if (!from.every((f) => sender.includes(f)) || !to.every((t) => recipients.includes(t))) continue;
		const haystack = `${item.subject}\n${item.text}\n${item.from}\n${item.to}`.toLowerCase();
		if (!terms.every((t) => haystack.includes(t))) continue;
		const kept = best.get(item.conversationId);
		if (!kept || item.at > kept.at) best.set(item.conversationId, item);
	}
	const hits = [...best.values()]
		.sort((a, b) => b.at - a.at)
		.slice(0, limit)
		.map((item) => ({ conversationId: item.conversationId, subject: item.subject, kind: item.kind, lane: item.lane, at: item.at, snippet: markedSnippet(item.text, terms) }));
	return { ok: true, hits };
}

/** A window of `text` around the first term found, every term in it between MARK_START and MARK_END. */
export function markedSnippet(text: string, terms: string[]): string {
	const flat = text.replace(/\s+/g, ' ').trim();
	const lower = flat.toLowerCase();
	const first = Math.min(...terms.map((t) => lower.indexOf(t)).filter((i) => i >= 0), Infinity);
	const start = first === Infinity || first < SNIPPET_BEFORE ? 0 : first - SNIPPET_BEFORE;
	const end = Math.min(flat.length, start + SNIPPET_LENGTH);
	const window = flat.slice(start, end);
	// mark the longest terms first, so a term inside another does not split it
	const ranges: Array<[number, number]> = [];
	const windowLower = window.toLowerCase();
	for (const term of [...terms].sort((a, b) => b.length - a.length)) {
		for (let i = windowLower.indexOf(term); i >= 0; i = windowLower.indexOf(term, i + term.length)) {
			if (!ranges.some(([s, e]) => i < e && i + term.length > s)) ranges.push([i, i + term.length]);
		}
	}
	ranges.sort((a, b) => a[0] - b[0]);
	let out = start > 0 ? '…' : '';
	let at = 0;
	for (const [s, e] of ranges) {
		out += window.slice(at, s) + MARK_START + window.slice(s, e) + MARK_END;
		at = e;
	}
	return out + window.slice(at) + (end < flat.length ? '…' : '');
}
