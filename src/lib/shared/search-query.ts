// The search box's query language, parsed without I/O so the server and (offline) the client
// read a query the same way. Free words and "quoted phrases" are full-text terms; `key:value`
// pairs with a known key are filters. A bad filter is an error for the user, never a guess.

export type SearchStatus = 'open' | 'closed' | 'snoozed';

/** One search result, alike from the server's index and from what this device holds offline. */
export type SearchHit = {
	conversationId: string;
	subject: string;
	kind: 'email' | 'channel';
	lane: 'thread' | 'chat' | 'tasks';
	/** Plain text with matches between MARK_START and MARK_END; render as text pieces (snippetPieces), never as HTML. */
	snippet: string;
	at: number;
};

export type SearchQuery = {
	/** Full-text terms: single words or exact phrases (from quotes). */
	terms: string[];
	from: string[];
	to: string[];
	labels: string[];
	/** 'me' or a member's name or address. */
	assignees: string[];
	status: SearchStatus | null;
	hasAttachment: boolean;
};

export type ParseResult = { ok: true; query: SearchQuery } | { ok: false; message: string };

export const MAX_QUERY_LENGTH = 500;

const FILTER_KEYS = ['from', 'to', 'label', 'assignee', 'is', 'has'] as const;
type FilterKey = (typeof FILTER_KEYS)[number];
const FILTER_LIST = 'from:, to:, label:, assignee:, is: and has:';

type Token = { key: string | null; value: string; quoted: boolean };

/** Splits on whitespace, keeping "quoted text" (also after `key:`) as one token. */
function tokenize(input: string): Token[] | string {
	const tokens: Token[] = [];
	let i = 0;
	while (i < input.length) {
		while (i < input.length && /\s/.test(input[i])) i++;
		if (i >= input.length) break;
		let key: string | null = null;
		const keyMatch = /^([A-Za-z]+):/.exec(input.slice(i));
		if (keyMatch) {
			key = keyMatch[1].toLowerCase();
			i += keyMatch[0].length;
		}
		if (input[i] === '"') {
			const end = input.indexOf('"', i + 1);
			if (end < 0) return 'A quotation mark is not closed.';
			tokens.push({ key, value: input.slice(i + 1, end), quoted: true });
			i = end + 1;
		} else {
			let end = i;
			while (end < input.length && !/\s/.test(input[end])) end++;
			tokens.push({ key, value: input.slice(i, end), quoted: false });
			i = end;
		}
	}
	return tokens;
}

function isFilterKey(key: string): key is FilterKey {
	return (FILTER_KEYS as readonly string[]).includes(key);
}

export function parseSearchQuery(input: string): ParseResult {
	if (input.length > MAX_QUERY_LENGTH) return { ok: false, message: `A search can be at most ${MAX_QUERY_LENGTH} characters.` };
	const tokens = tokenize(input);
	if (typeof tokens === 'string') return { ok: false, message: tokens };
	const query: SearchQuery = { terms: [], from: [], to: [], labels: [], assignees: [], status: null, hasAttachment: false };
	for (const token of tokens) {
		const value = token.value.trim();
		if (token.key === null || (!isFilterKey(token.key) && (token.value === '' || token.value.startsWith('/')))) {
			// Plain text, or text that merely contains a colon ("re:", "https://…").
			const text = token.key === null ? value : `${token.key}:${token.value}`;
			if (text) query.terms.push(text);
			continue;
		}
		const key = token.key;
		if (!isFilterKey(key)) return { ok: false, message: `"${key}:" is not a filter. Filters are ${FILTER_LIST}` };
		if (!value) return { ok: false, message: `"${key}:" needs a value, e.g. ${example(key)}.` };
		switch (key) {
			case 'from':
				query.from.push(value);
				break;
			case 'to':
				query.to.push(value);
				break;
			case 'label':
				query.labels.push(value);
				break;
			case 'assignee':
				query.assignees.push(value.toLowerCase() === 'me' ? 'me' : value);
				break;
			case 'is': {
				const status = value.toLowerCase();
				if (status !== 'open' && status !== 'closed' && status !== 'snoozed') return { ok: false, message: `"is:${value}" is not known. Use is:open, is:closed or is:snoozed.` };
				if (query.status && query.status !== status) return { ok: false, message: `A conversation cannot be both ${query.status} and ${status}.` };
				query.status = status;
				break;
			}
			case 'has':
				if (value.toLowerCase() !== 'attachment') return { ok: false, message: `"has:${value}" is not known. Use has:attachment.` };
				query.hasAttachment = true;
				break;
		}
	}
	return { ok: true, query };
}

function example(key: FilterKey): string {
	switch (key) {
		case 'from':
			return 'from:ada@example.com';
		case 'to':
			return 'to:"Grace Hopper"';
		case 'label':
			return 'label:billing';
		case 'assignee':
			return 'assignee:me';
		case 'is':
			return 'is:open';
		case 'has':
			return 'has:attachment';
	}
}

export function isEmptyQuery(query: SearchQuery): boolean {
	return (
		query.terms.length === 0 &&
		query.from.length === 0 &&
		query.to.length === 0 &&
		query.labels.length === 0 &&
		query.assignees.length === 0 &&
		query.status === null &&
		!query.hasAttachment
	);
}

/**
 * An FTS5 MATCH expression for terms: each term becomes a quoted string (inner quotes doubled),
 * so user text can never be read as FTS5 syntax (NEAR, column filters, `*`, `-`). Words are
 * prefix-matched (the last one is usually still being typed); a term of several words
 * ("glass door", ada@example.com) is matched as a phrase. Null when no
 * term has a letter or digit, since FTS5 rejects an empty string.
 */
export function toFtsMatch(terms: string[]): string | null {
	const parts: string[] = [];
	for (const term of terms) {
		const words = term.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
		if (words.length === 0) continue;
		if (words.length > 1) parts.push(`"${words.join(' ').replaceAll('"', '""')}"`);
		else parts.push(`"${words[0].replaceAll('"', '""')}"*`);
	}
	return parts.length ? parts.join(' AND ') : null;
}

/** Snippet markers around a match (control characters, which indexed text never holds). */
export const MARK_START = '\u0002';
export const MARK_END = '\u0003';

/** A snippet as text pieces, marked or not, for rendering as text (never as HTML). */
export function snippetPieces(snippet: string): Array<{ text: string; marked: boolean }> {
	const pieces: Array<{ text: string; marked: boolean }> = [];
	for (const [i, part] of snippet.split(MARK_START).entries()) {
		const [inside, outside] = i === 0 ? [null, part] : splitOnce(part, MARK_END);
		if (inside) pieces.push({ text: inside, marked: true });
		if (outside) pieces.push({ text: outside, marked: false });
	}
	return pieces;
}

function splitOnce(text: string, mark: string): [string, string] {
	const at = text.indexOf(mark);
	return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + mark.length).replaceAll(mark, '')];
}
