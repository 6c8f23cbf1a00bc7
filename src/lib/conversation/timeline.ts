// The conversation's timeline: thread messages (email), thread events and chat merged into one
// list ordered by time, as the page shows it. Pure, so ordering and the unread line are tested
// without a browser.
import type { ChatMessage, HistoryEvent, ThreadEvent, ThreadMessage } from '$lib/shared/records.ts';

/** One row of the timeline; `key` is unique across kinds (a kind prefix and the record's id). */
export type TimelineItem =
	| { kind: 'email'; at: number; key: string; message: ThreadMessage }
	| { kind: 'event'; at: number; key: string; event: ThreadEvent }
	| { kind: 'chat'; at: number; key: string; message: ChatMessage }
	| { kind: 'history'; at: number; key: string; text: string };

/** Everything in time order; equal times are ordered by key, so every replica shows the same order. */
export function buildTimeline(
	emails: readonly ThreadMessage[],
	events: readonly ThreadEvent[],
	chat: readonly ChatMessage[],
	/** Members only (the internal lane): label, assignment and status changes, as sentences. */
	history: readonly { event: HistoryEvent; text: string }[] = []
): TimelineItem[] {
	const out: TimelineItem[] = [
		...emails.map((m) => ({ kind: 'email' as const, at: m.sentAt, key: `e:${m.id}`, message: m })),
		...events.map((e) => ({ kind: 'event' as const, at: e.at, key: `v:${e.id}`, event: e })),
		...chat.map((m) => ({ kind: 'chat' as const, at: m.createdAt, key: `c:${m.id}`, message: m })),
		...history.map(({ event, text }) => ({ kind: 'history' as const, at: event.at, key: `h:${event.id}`, text }))
	];
	return out.sort((a, b) => a.at - b.at || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * The key of the first item newer than the read marker that someone else wrote (one's own chat
 * messages are never "new"); undefined when nothing is unread or the conversation was never read
 * (then the whole conversation is new and no line is drawn).
 */
export function firstUnreadKey(items: readonly TimelineItem[], lastReadAt: number, userId: string): string | undefined {
	if (!lastReadAt) return undefined;
	// history rows are bookkeeping, not news: they never start the unread part
	return items.find((i) => i.at > lastReadAt && i.kind !== 'history' && !(i.kind === 'chat' && i.message.authorId === userId))?.key;
}

/**
 * Where a conversation opens (the item to show at the top): the first unread item; the first item
 * of a conversation never read; when everything is read, the newest email, so its From and Subject
 * are in view; null (the end) when there is no email.
 */
export function openingKey(items: readonly TimelineItem[], lastReadAt: number, userId: string): string | null {
	if (items.length === 0) return null;
	if (!lastReadAt) return items[0].key;
	const unread = firstUnreadKey(items, lastReadAt, userId);
	if (unread) return unread;
	return items.findLast((i) => i.kind === 'email')?.key ?? null;
}

/** The time of the newest item, 0 when empty. */
export function latestAt(items: readonly TimelineItem[]): number {
	return items.length ? items[items.length - 1].at : 0;
}

/** A thread event as a sentence. */
export function eventText(e: ThreadEvent): string {
	switch (e.type) {
		case 'invitation-pending':
			return `${e.actorName} invited ${e.subjectName} as a guest — invitation pending`;
		case 'invitation-accepted':
			return `${e.actorName} invited ${e.subjectName} as a guest — ${e.subjectName} joined`;
		case 'invitation-withdrawn':
			return `${e.actorName} invited ${e.subjectName} as a guest — invitation withdrawn`;
		case 'guest-joined':
			return `${e.subjectName} joined as a guest`;
		case 'guest-removed':
			return `${e.actorName} removed guest ${e.subjectName}`;
		case 'conversation-created':
			return `${e.actorName} started “${e.subjectName}”`;
	}
}

/** A history event as a sentence; `nameOf` and `labelOf` look up people and labels (unknown: a neutral word). */
export function historyText(e: HistoryEvent, nameOf: (userId: string) => string | undefined, labelOf: (labelId: string) => string | undefined, when: (at: number) => string): string {
	const actor = nameOf(e.actorId) ?? 'Someone';
	const target = e.target ?? '';
	switch (e.type) {
		case 'label-added':
			return `${actor} added the label ${labelOf(target) ?? '(deleted label)'}`;
		case 'label-removed':
			return `${actor} removed the label ${labelOf(target) ?? '(deleted label)'}`;
		case 'assigned':
			return target === e.actorId ? `${actor} took this conversation` : `${actor} assigned ${nameOf(target) ?? 'someone'}`;
		case 'unassigned':
			return target === e.actorId ? `${actor} unassigned themselves` : `${actor} unassigned ${nameOf(target) ?? 'someone'}`;
		case 'closed':
			return `${actor} closed this conversation`;
		case 'snoozed':
			return e.until === undefined ? `${actor} snoozed this conversation` : `${actor} snoozed this conversation until ${when(e.until)}`;
		case 'reopened':
			if (e.reason === 'inbound') return 'New email reopened this conversation';
			if (e.reason === 'wake') return 'The snooze ended';
			if (e.reason === 'reply') return 'A reply ended the snooze';
			return `${actor} reopened this conversation`;
	}
}
