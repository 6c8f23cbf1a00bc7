// History events in the timeline: sentences with who did what, in time order with the rest, and
// never the start of the unread part.
import { describe, expect, it } from 'vitest';
import type { ChatMessage, HistoryEvent } from '$lib/shared/records.ts';
import { buildTimeline, firstUnreadKey, historyText } from './timeline.ts';

const names = new Map([
	['alice', 'Alice'],
	['bob', 'Bob']
]);
const labels = new Map([['urgent', 'Urgent']]);
const text = (e: Omit<HistoryEvent, 'id' | 'at'>) =>
	historyText({ id: `${e.actorId}:h`, at: 1, ...e }, (id) => names.get(id), (id) => labels.get(id), (at) => `T${at}`);

describe('history events', () => {
	it('say who changed what', () => {
		expect(text({ type: 'label-added', actorId: 'alice', target: 'urgent' })).toBe('Alice added the label Urgent');
		expect(text({ type: 'label-removed', actorId: 'bob', target: 'gone' })).toBe('Bob removed the label (deleted label)');
		expect(text({ type: 'assigned', actorId: 'alice', target: 'bob' })).toBe('Alice assigned Bob');
		expect(text({ type: 'assigned', actorId: 'bob', target: 'bob' })).toBe('Bob took this conversation');
		expect(text({ type: 'unassigned', actorId: 'alice', target: 'bob' })).toBe('Alice unassigned Bob');
		expect(text({ type: 'closed', actorId: 'bob' })).toBe('Bob closed this conversation');
		expect(text({ type: 'snoozed', actorId: 'alice', until: 99 })).toBe('Alice snoozed this conversation until T99');
		expect(text({ type: 'reopened', actorId: 'alice' })).toBe('Alice reopened this conversation');
		expect(text({ type: 'reopened', actorId: 'system', reason: 'inbound' })).toBe('New email reopened this conversation');
		expect(text({ type: 'reopened', actorId: 'system', reason: 'wake' })).toBe('The snooze ended');
		expect(text({ type: 'closed', actorId: 'carol' })).toBe('Someone closed this conversation');
	});

	it('take their place in time order, and never start the unread part', () => {
		const chat = (id: string, createdAt: number): ChatMessage => ({ id: `bob:${id}`, authorId: 'bob', text: 'hi', mentions: [], createdAt });
		const h: HistoryEvent = { id: 'alice:h1', type: 'closed', actorId: 'alice', at: 20 };
		const items = buildTimeline([], [], [chat('c1', 10), chat('c2', 30)], [{ event: h, text: 'Alice closed this conversation' }]);
		expect(items.map((i) => i.key)).toEqual(['c:bob:c1', 'h:alice:h1', 'c:bob:c2']);
		expect(firstUnreadKey(items, 15, 'alice')).toBe('c:bob:c2');
	});
});
