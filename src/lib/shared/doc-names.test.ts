import { describe, it, expect } from 'vitest';
import { parseDocName, formatDocName } from './doc-names.ts';

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
