import { describe, expect, it } from 'vitest';
import { computeNotificationLevel, type LevelFacts } from './notifications.ts';

describe('computeNotificationLevel', () => {
	const base: LevelFacts = { role: 'member', conversationLevel: null, defaultLevel: null, isAssigned: false };
	it.each<[string, Partial<LevelFacts>, string]>([
		['a member by default: mentions only', {}, 'mentions'],
		['a member assigned to the conversation: all activity', { isAssigned: true }, 'all'],
		['a guest by default: all activity of their conversations', { role: 'guest' }, 'all'],
		['the person\'s default wins over the role default', { role: 'guest', defaultLevel: 'mentions' }, 'mentions'],
		['the conversation setting wins over the default', { defaultLevel: 'none', conversationLevel: 'all' }, 'all'],
		['the conversation setting wins over assignment', { isAssigned: true, conversationLevel: 'none' }, 'none'],
		['no access: nothing, whatever the settings', { role: 'none', conversationLevel: 'all' }, 'none']
	])('%s', (_name, facts, expected) => {
		expect(computeNotificationLevel({ ...base, ...facts })).toBe(expected);
	});
});

