import { describe, expect, it } from 'vitest';
import { OFFLINE_FILTERS_MESSAGE, markedSnippet, searchLocalItems, type LocalSearchItem } from './local-search.ts';
import { MARK_END, MARK_START } from './search-query.ts';

const item = (over: Partial<LocalSearchItem>): LocalSearchItem => ({
	conversationId: 'c1',
	subject: 'Lamp order',
	kind: 'email',
	lane: 'thread',
	text: '',
	from: '',
	to: '',
	at: 1,
	hasAttachment: false,
	...over
});
const m = (s: string) => `${MARK_START}${s}${MARK_END}`;

const items = [
	item({ conversationId: 'c1', text: 'The GLASS shade arrived cracked.', from: 'Dana Whitfield dana@example.com', to: 'support@acme.test', at: 10, hasAttachment: true }),
	item({ conversationId: 'c1', lane: 'chat', text: 'I will order new glass today', at: 20 }),
	item({ conversationId: 'c2', subject: 'Site visit', kind: 'channel', lane: 'tasks', text: 'Measure the window\nBring the ladder', at: 5 }),
	item({ conversationId: 'c3', subject: 'Invoice', text: 'Paid in full', from: 'Bob bob@example.com', at: 30 })
];
const ids = (q: string) => {
	const answer = searchLocalItems(q, items);
	return answer.ok ? answer.hits.map((h) => `${h.conversationId}:${h.lane}`) : answer.message;
};

describe('searchLocalItems', () => {
	it('matches words case-insensitively, one hit per conversation (its newest match), newest first', () => {
		expect(ids('glass')).toEqual(['c1:chat']);
		expect(ids('GLASS cracked')).toEqual(['c1:thread']);
		expect(ids('ladder')).toEqual(['c2:tasks']);
		expect(ids('full')).toEqual(['c3:thread']);
	});
	it('needs every word, and a phrase as written', () => {
		expect(ids('glass ladder')).toEqual([]);
		expect(ids('"new glass"')).toEqual(['c1:chat']);
		expect(ids('"glass new"')).toEqual([]);
	});
	it('finds subjects, senders and recipients, and applies from:, to: and has:attachment', () => {
		expect(ids('visit')).toEqual(['c2:tasks']);
		expect(ids('whitfield')).toEqual(['c1:thread']);
		expect(ids('from:dana')).toEqual(['c1:thread']);
		expect(ids('from:bob paid')).toEqual(['c3:thread']);
		expect(ids('to:support@acme')).toEqual(['c1:thread']);
		expect(ids('has:attachment')).toEqual(['c1:thread']);
	});
	it('answers nothing for an empty query, and refuses what only the server knows', () => {
		expect(ids('   ')).toEqual([]);
		expect(ids('label:billing')).toBe(OFFLINE_FILTERS_MESSAGE);
		expect(ids('assignee:me')).toBe(OFFLINE_FILTERS_MESSAGE);
		expect(ids('is:open glass')).toBe(OFFLINE_FILTERS_MESSAGE);
		expect(ids('"open')).toBe('A quotation mark is not closed.');
	});
});

describe('markedSnippet', () => {
	it('marks every term found, keeping the text as written', () => {
		expect(markedSnippet('The GLASS shade, the glass', ['glass'])).toBe(`The ${m('GLASS')} shade, the ${m('glass')}`);
		expect(markedSnippet('new glassware', ['glass', 'glassware'])).toBe(`new ${m('glassware')}`);
	});
	it('shows the part of a long text around the first match', () => {
		const text = `${'a '.repeat(200)}needle ${'b '.repeat(200)}`;
		const out = markedSnippet(text, ['needle']);
		expect(out.startsWith('…')).toBe(true);
		expect(out.endsWith('…')).toBe(true);
		expect(out).toContain(m('needle'));
		expect(out.length).toBeLessThan(200);
	});
});
