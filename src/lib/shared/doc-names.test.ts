import { describe, it, expect } from 'vitest';
import { parseDocName, formatDocName, conversationDoc, userDoc, orgDoc } from './doc-names.ts';

describe('parseDocName', () => {
	it.each([
		['c/abc123/chat', { scope: 'conversation', id: 'abc123', lane: 'chat' }],
		['c/abc123/internal', { scope: 'conversation', id: 'abc123', lane: 'internal' }],
		['u/user_1/inbox', { scope: 'user', id: 'user_1', lane: 'inbox' }],
		['o/org-1/labels', { scope: 'org', id: 'org-1', lane: 'labels' }]
	])('reads %s', (name, ref) => {
		expect(parseDocName(name)).toEqual(ref);
		expect(formatDocName(parseDocName(name)!)).toBe(name);
	});

	it.each([
		'', 'c/abc', 'c/abc/chat/x', 'c//chat', 'c/abc/labels', 'u/abc/chat', 'o/abc/inbox', 'x/abc/chat',
		'c/../chat', `c/${'a'.repeat(65)}/chat`, 'c/a b/chat', 'c/abc/Chat'
	])('refuses %j', (name) => {
		expect(parseDocName(name)).toBeNull();
	});
});

describe('the builders', () => {
	it('name what parseDocName reads back', () => {
		expect(parseDocName(conversationDoc('c1', 'tasks'))).toEqual({ scope: 'conversation', id: 'c1', lane: 'tasks' });
		expect(parseDocName(userDoc('u1', 'inbox'))).toEqual({ scope: 'user', id: 'u1', lane: 'inbox' });
		expect(parseDocName(orgDoc('o1', 'labels'))).toEqual({ scope: 'org', id: 'o1', lane: 'labels' });
	});
});
