import { describe, expect, it } from 'vitest';
import { listKeyAction, moveCursor, type KeyPress } from './list-keys.ts';

const base: KeyPress = { key: '', inField: false, inConversation: false };
describe('listKeyAction', () => {
	const rows: Array<[Partial<KeyPress>, ReturnType<typeof listKeyAction>]> = [
		[{ key: 'j' }, 'next'],
		[{ key: 'k' }, 'previous'],
		[{ key: 'ArrowDown' }, 'next'],
		[{ key: 'ArrowUp' }, 'previous'],
		[{ key: 'ArrowDown', inConversation: true }, null],
		[{ key: 'j', inConversation: true }, 'next'],
		[{ key: 'Enter' }, 'open'],
		[{ key: 'Enter', inConversation: true }, null],
		[{ key: 'e' }, 'close'],
		[{ key: 's' }, 'snooze'],
		[{ key: 'r' }, 'reply'],
		[{ key: 'u' }, 'unread'],
		[{ key: '/' }, 'search'],
		[{ key: 'e', inField: true }, null],
		[{ key: 'j', ctrlKey: true }, null],
		[{ key: 'r', metaKey: true }, null],
		[{ key: 'x' }, null]
	];
	it.each(rows)('%o → %s', (press, action) => expect(listKeyAction({ ...base, ...press })).toBe(action));
});

describe('moveCursor', () => {
	it('moves within the list and stops at its ends', () => {
		expect(moveCursor(['a', 'b', 'c'], null, 'next')).toBe('a');
		expect(moveCursor(['a', 'b', 'c'], null, 'previous')).toBe('c');
		expect(moveCursor(['a', 'b', 'c'], 'a', 'next')).toBe('b');
		expect(moveCursor(['a', 'b', 'c'], 'c', 'next')).toBe('c');
		expect(moveCursor(['a', 'b', 'c'], 'a', 'previous')).toBe('a');
		expect(moveCursor(['a', 'b'], 'gone', 'next')).toBe('a');
		expect(moveCursor([], 'a', 'next')).toBe(null);
	});
});
