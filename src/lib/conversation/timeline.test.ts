import { describe, expect, it } from 'vitest';
import type { ChatMessage, ThreadEvent, ThreadMessage } from '$lib/shared/records.ts';
import { buildTimeline, eventText, firstUnreadKey, latestAt, openingKey } from './timeline.ts';

const email = (id: string, sentAt: number): ThreadMessage => ({
	id,
	direction: 'in',
	from: { name: 'Dana', address: 'dana@example.com' },
	to: [],
	cc: [],
	subject: 'Order',
	text: 'hello',
	sentAt,
	messageId: `<${id}@example.com>`,
	attachments: []
});
const chat = (id: string, authorId: string, createdAt: number): ChatMessage => ({ id: `${authorId}:${id}`, authorId, text: 'hi', mentions: [], createdAt });
const event = (id: string, at: number): ThreadEvent => ({ id, type: 'guest-joined', actorName: 'Alice', subjectName: 'Nora', at });

describe('buildTimeline', () => {
	it('merges the three kinds in time order', () => {
		const items = buildTimeline([email('m1', 10), email('m2', 40)], [event('v1', 20)], [chat('c1', 'bob', 30), chat('c2', 'alice', 5)]);
		expect(items.map((i) => i.key)).toEqual(['c:alice:c2', 'e:m1', 'v:v1', 'c:bob:c1', 'e:m2']);
		expect(items.map((i) => i.kind)).toEqual(['chat', 'email', 'event', 'chat', 'email']);
	});

	it('orders equal times the same way whatever the input order', () => {
		const a = buildTimeline([email('m1', 10)], [event('v1', 10)], [chat('c1', 'bob', 10)]);
		const b = buildTimeline([email('m1', 10)], [event('v1', 10)], [chat('c1', 'bob', 10)].reverse());
		expect(a.map((i) => i.key)).toEqual(['c:bob:c1', 'e:m1', 'v:v1']);
		expect(b.map((i) => i.key)).toEqual(a.map((i) => i.key));
	});

	it('is empty without records', () => {
		expect(buildTimeline([], [], [])).toEqual([]);
		expect(latestAt([])).toBe(0);
	});
});

describe('firstUnreadKey', () => {
	const items = buildTimeline([email('m1', 10), email('m2', 50)], [], [chat('c1', 'me', 30), chat('c2', 'bob', 40)]);

	it('is the first item after the marker that someone else wrote', () => {
		expect(firstUnreadKey(items, 20, 'me')).toBe('c:bob:c2');
		expect(firstUnreadKey(items, 5, 'me')).toBe('e:m1');
	});

	it('is undefined when all is read or the conversation was never read', () => {
		expect(firstUnreadKey(items, 50, 'me')).toBeUndefined();
		expect(firstUnreadKey(items, 0, 'me')).toBeUndefined();
	});

	it('latestAt is the newest time', () => {
		expect(latestAt(items)).toBe(50);
	});
});

describe('openingKey', () => {
	// an email at 10, my chat at 5 and 30, Bob's at 40, an email at 50, Bob's at 60
	const items = buildTimeline([email('m1', 10), email('m2', 50)], [], [chat('c0', 'me', 5), chat('c1', 'me', 30), chat('c2', 'bob', 40), chat('c3', 'bob', 60)]);
	it.each([
		['the first unread item someone else wrote', 20, 'c:bob:c2'],
		['the first item of a conversation never read', 0, 'c:me:c0'],
		['the newest email when all is read, even with chat after it', 60, 'e:m2']
	])('opens at %s', (_case, readAt, key) => {
		expect(openingKey(items, readAt, 'me')).toBe(key);
	});
	it('opens at the end of a channel (no email) read to the end, and of nothing', () => {
		expect(openingKey(buildTimeline([], [], [chat('c1', 'bob', 1)]), 5, 'me')).toBeNull();
		expect(openingKey([], 5, 'me')).toBeNull();
	});
});

describe('eventText', () => {
	it('says what happened', () => {
		expect(eventText({ id: 'x', type: 'guest-removed', actorName: 'Alice', subjectName: 'Nora', at: 1 })).toBe('Alice removed guest Nora');
		expect(eventText({ id: 'x', type: 'invitation-pending', actorName: 'Alice', subjectName: 'Nora', at: 1 })).toBe('Alice invited Nora as a guest — invitation pending');
		expect(eventText({ id: 'x', type: 'invitation-accepted', actorName: 'Alice', subjectName: 'Nora North', at: 1 })).toBe('Alice invited Nora North as a guest — Nora North joined');
		expect(eventText({ id: 'x', type: 'invitation-withdrawn', actorName: 'Alice', subjectName: 'someone', at: 1 })).toBe('Alice invited someone as a guest — invitation withdrawn');
	});
});
