// Search with no network (issue 13): the lane documents this device holds for the conversations
// in the user's inbox index, read from the replica (open documents as they are, the rest from
// IndexedDB) and matched by shared/local-search.ts. The replica holds only what the relay let this
// person read — a guest's device has her conversations' thread, chat and tasks and never the
// internal lane — so nothing can be found here that she could not open.
import type * as Y from 'yjs';
import type { AppClient } from './app-client.svelte.ts';
import { conversationDoc } from '$lib/shared/doc-names.ts';
import { getRecords, type InboxEntry } from '$lib/shared/records.ts';
import { searchLocalItems, type LocalSearchAnswer, type LocalSearchItem } from '$lib/shared/local-search.ts';

const who = (a: { name: string; address: string }) => `${a.name} ${a.address}`;

/** The searchable records of one lane document of a conversation. */
function itemsOf(entry: InboxEntry, lane: 'thread' | 'chat' | 'tasks', ydoc: Y.Doc): LocalSearchItem[] {
	const base = { conversationId: entry.id, subject: entry.subject, kind: entry.kind, lane } as const;
	if (lane === 'thread') {
		return [...getRecords(ydoc, 'thread', 'messages').values()].map((m) => ({
			...base,
			text: m.text,
			from: who(m.from),
			to: [...m.to, ...m.cc].map(who).join(', '),
			at: m.sentAt,
			hasAttachment: m.attachments.length > 0
		}));
	}
	if (lane === 'chat') {
		return [...getRecords(ydoc, 'chat', 'messages').values()]
			.filter((m) => m.removed === undefined)
			.map((m) => ({ ...base, text: m.text, from: '', to: '', at: m.editedAt ?? m.createdAt, hasAttachment: false }));
	}
	return [...getRecords(ydoc, 'tasks', 'tasks').values()].map((t) => ({ ...base, text: `${t.title}\n${t.description}`, from: '', to: '', at: t.updatedAt, hasAttachment: false }));
}

/** Searches what this device holds; the same query language as the server, answered by plain term matching. */
export async function searchThisDevice(client: AppClient, query: string): Promise<LocalSearchAnswer> {
	const items: LocalSearchItem[] = [];
	for (const entry of client.inbox.all) {
		for (const lane of ['thread', 'chat', 'tasks'] as const) {
			const held = await client.provider.readLocal(conversationDoc(entry.id, lane));
			if (!held) continue;
			try {
				items.push(...itemsOf(entry, lane, held.ydoc));
			} finally {
				if (held.own) held.ydoc.destroy();
			}
		}
	}
	return searchLocalItems(query, items);
}
