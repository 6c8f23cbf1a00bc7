import { describe, expect, it } from 'vitest';
import { isEmptyQuery, MARK_END, MARK_START, parseSearchQuery, snippetPieces, toFtsMatch, type SearchQuery } from './search-query.ts';

const empty: SearchQuery = { terms: [], from: [], to: [], labels: [], assignees: [], status: null, hasAttachment: false };

describe('parseSearchQuery', () => {
	const cases: Array<[string, string, Partial<SearchQuery> | string]> = [
		['empty', '', {}],
		['words', 'broken glass', { terms: ['broken', 'glass'] }],
		['a quoted phrase', '"broken glass" door', { terms: ['broken glass', 'door'] }],
		['from an address', 'from:ada@example.com', { from: ['ada@example.com'] }],
		['from a quoted name', 'from:"Ada Lovelace" invoice', { from: ['Ada Lovelace'], terms: ['invoice'] }],
		['to', 'to:grace', { to: ['grace'] }],
		['label and text', 'label:billing refund', { labels: ['billing'], terms: ['refund'] }],
		['assignee me, any case', 'assignee:ME', { assignees: ['me'] }],
		['assignee by name', 'assignee:"Bob Smith"', { assignees: ['Bob Smith'] }],
		['filter keys ignore case', 'IS:Closed HAS:Attachment', { status: 'closed', hasAttachment: true }],
		['is:snoozed', 'is:snoozed', { status: 'snoozed' }],
		['the same is: twice', 'is:open is:open', { status: 'open' }],
		['a colon in text stays text', 're: hello', { terms: ['re:', 'hello'] }],
		['a link stays text', 'https://example.com', { terms: ['https://example.com'] }],
		['a time stays text', '10:30', { terms: ['10:30'] }],
		['unclosed quote', 'from:"Ada', 'A quotation mark is not closed.'],
		['unknown filter', 'lable:billing', '"lable:" is not a filter. Filters are from:, to:, label:, assignee:, is: and has:'],
		['empty filter', 'from: ada', '"from:" needs a value, e.g. from:ada@example.com.'],
		['empty quoted filter', 'label:""', '"label:" needs a value, e.g. label:billing.'],
		['bad status', 'is:archived', '"is:archived" is not known. Use is:open, is:closed or is:snoozed.'],
		['two statuses', 'is:open is:closed', 'A conversation cannot be both open and closed.'],
		['bad has', 'has:link', '"has:link" is not known. Use has:attachment.'],
		['too long', 'a'.repeat(501), 'A search can be at most 500 characters.']
	];
	it.each(cases)('%s', (_name, input, expected) => {
		const result = parseSearchQuery(input);
		if (typeof expected === 'string') expect(result).toEqual({ ok: false, message: expected });
		else expect(result).toEqual({ ok: true, query: { ...empty, ...expected } });
	});

	it('knows an empty query', () => {
		const parsed = parseSearchQuery('   ');
		expect(parsed.ok && isEmptyQuery(parsed.query)).toBe(true);
		const filtered = parseSearchQuery('is:open');
		expect(filtered.ok && isEmptyQuery(filtered.query)).toBe(false);
	});
});

describe('toFtsMatch', () => {
	const cases: Array<[string, string[], string | null]> = [
		['no terms', [], null],
		['a word is a prefix', ['glas'], '"glas"*'],
		['words are all required', ['broken', 'glass'], '"broken"* AND "glass"*'],
		['a phrase is exact', ['broken glass'], '"broken glass"'],
		['an address is a phrase of its parts', ['ada@example.com'], '"ada example com"'],
		['FTS5 syntax is only text', ['NEAR(a', 'b)', '-x', 'title:y', '"'], '"NEAR a" AND "b"* AND "x"* AND "title y"'],
		['punctuation alone matches nothing', ['***', '--'], null],
		['letters beyond ASCII', ['Zürich'], '"Zürich"*']
	];
	it.each(cases)('%s', (_name, terms, expected) => expect(toFtsMatch(terms)).toBe(expected));
});

describe('snippetPieces', () => {
	it('splits a snippet into marked and plain text', () => {
		expect(snippetPieces(`The ${MARK_START}glass${MARK_END} panel ${MARK_START}glass${MARK_END}`)).toEqual([
			{ text: 'The ', marked: false },
			{ text: 'glass', marked: true },
			{ text: ' panel ', marked: false },
			{ text: 'glass', marked: true }
		]);
		expect(snippetPieces('plain <b>text</b>')).toEqual([{ text: 'plain <b>text</b>', marked: false }]);
		expect(snippetPieces(`${MARK_START}open to the end`)).toEqual([{ text: 'open to the end', marked: true }]);
	});
});
