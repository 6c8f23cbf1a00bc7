// The conversation's timeline: thread messages (email), thread events and chat merged into one
// list ordered by time, as the page shows it. Pure, so ordering and the unread line are tested
// without a browser.
import type { ChatMessage, ThreadEvent, ThreadMessage } from '$lib/shared/records.ts';

/** One row of the timeline; `key` is unique across kinds (a kind prefix and the record's id). */
export type TimelineItem =
	| { kind: 'email'; at: number; key: string; message: ThreadMessage }
	| { kind: 'event'; at: number; key: string; event: ThreadEvent }
	| { kind: 'chat'; at: number; key: string; message: ChatMessage };

/** Everything in time order; equal times are ordered by key, so every replica shows the same order. */
export function buildTimeline(emails: readonly ThreadMessage[], events: readonly ThreadEvent[], chat: readonly ChatMessage[]): TimelineItem[] {
	const out: TimelineItem[] = [
		...emails.map((m) => ({ kind: 'email' as const, at: m.sentAt, key: `e:${m.id}`, message: m })),
		...events.map((e) => ({ kind: 'event' as const, at: e.at, key: `v:${e.id}`, event: e })),
		...chat.map((m) => ({ kind: 'chat' as const, at: m.createdAt, key: `c:${m.id}`, message: m }))
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
	return items.find((i) => i.at > lastReadAt && !(i.kind === 'chat' && i.message.authorId === userId))?.key;
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
		case 'guest-joined':
			return `${e.subjectName} joined as a guest`;
		case 'guest-removed':
			return `${e.actorName} removed guest ${e.subjectName}`;
		case 'conversation-created':
			return `${e.actorName} started “${e.subjectName}”`;
	}
}
