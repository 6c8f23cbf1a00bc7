// Every record the conversation page writes, in one place: components call these and never touch a
// Y.Doc themselves. Each write is validated by setRecord (the relay checks the same schema), so a
// bad value changes nothing and comes back as a verdict with a message.
import type { AppClient } from '$lib/client/app-client.svelte.ts';
import type { ConversationLanes, MemberLanes } from '$lib/client/conversation.svelte.ts';
import type * as Y from 'yjs';
import { formatDocName } from '$lib/shared/doc-names.ts';
import {
	chatKey,
	type HistoryEvent,
	createId,
	deleteRecord,
	personalLabelKey,
	removedChatMessage,
	setRecord,
	type ChatMessage,
	type Label,
	type RecordVerdict,
	type Task
} from '$lib/shared/records.ts';

/** What these writes need of the app client: the replica and whose private document it is. */
type Client = Pick<AppClient, 'provider' | 'userId' | 'inbox' | 'reads'>;

function privateDoc(client: Client) {
	return client.provider.getDoc(formatDocName({ scope: 'user', id: client.userId, lane: 'private' }));
}

/** Posts a chat message by `authorId` (the key names the author, as the relay requires). */
export function sendChat(lanes: ConversationLanes, authorId: string, text: string, mentions: string[], now = Date.now()): RecordVerdict {
	const key = chatKey(authorId, createId(now));
	return setRecord(lanes.doc(lanes.chatDoc), 'chat', 'messages', key, { id: key, authorId, text, mentions, createdAt: now });
}

/**
 * Removes a chat message for everyone: replaced, not deleted, so everyone sees "message removed by
 * <name>". Its author may; so may an owner or admin (grant.lanes.chat.moderate) for anyone's. The
 * relay checks that `by` is the signed-in user, name included.
 */
export function removeChat(lanes: ConversationLanes, message: ChatMessage, by: { id: string; name: string }, now = Date.now()): RecordVerdict {
	return setRecord(lanes.doc(lanes.chatDoc), 'chat', 'messages', message.id, removedChatMessage(message, by, now));
}

/** Keeps (or, when empty, drops) this user's unsent text for a conversation. */
export function saveDraft(client: Client, conversationId: string, text: string): void {
	const doc = privateDoc(client);
	if (!doc) return;
	if (!text) deleteRecord(doc, 'private', 'drafts', conversationId);
	else setRecord(doc, 'private', 'drafts', conversationId, { conversationId, text: text.slice(0, 10_000), updatedAt: Date.now() });
}

/** Moves this user's read marker to `at`; never backwards, and writes only when it advances. */
export function markRead(client: Client, conversationId: string, at: number): void {
	const current = client.reads.get(conversationId)?.lastReadAt ?? 0;
	const doc = privateDoc(client);
	if (doc && at > current) setRecord(doc, 'private', 'reads', conversationId, { conversationId, lastReadAt: at });
}

/**
 * Marks a conversation unread for this user only: its read marker is moved to just before its
 * latest activity. Works offline (a local write, synced later).
 */
export function markUnread(client: Client, conversationId: string): boolean {
	const entry = client.inbox.get(conversationId);
	const doc = privateDoc(client);
	if (!entry || !doc) return false;
	setRecord(doc, 'private', 'reads', conversationId, { conversationId, lastReadAt: Math.max(0, entry.lastActivityAt - 1) });
	return true;
}

/** Creates or replaces a task (members only; the relay refuses it from a guest). */
export function writeTask(lanes: ConversationLanes, task: Task): RecordVerdict {
	return setRecord(lanes.doc(lanes.tasksDoc), 'tasks', 'tasks', task.id, task);
}

/** Assigns a task to `assignee`, or unassigns it when empty (internal lane). */
export function assignTask(lanes: ConversationLanes, member: MemberLanes, taskId: string, assignee: string, by: string): void {
	const doc = lanes.doc(member.internalDoc);
	if (!assignee) deleteRecord(doc, 'internal', 'taskAssignees', taskId);
	else setRecord(doc, 'internal', 'taskAssignees', taskId, { taskId, userId: assignee, assignedBy: by, assignedAt: Date.now() });
}

/**
 * A history event for a change made in the same transaction, so the relay accepts or refuses both
 * together (a refused label leaves no "labelled" event behind).
 */
function recordHistory(doc: Y.Doc, by: string, type: HistoryEvent['type'], target: string, now: number): void {
	const key = chatKey(by, createId(now));
	setRecord(doc, 'internal', 'history', key, { id: key, type, actorId: by, target, at: now });
}

/** Applies a label to the conversation, or removes it when applied; the timeline shows who and when. */
export function toggleLabel(lanes: ConversationLanes, member: MemberLanes, labelId: string, by: string): void {
	const doc = lanes.doc(member.internalDoc);
	const now = Date.now();
	doc.transact(() => {
		if (member.applied.get(labelId)) {
			deleteRecord(doc, 'internal', 'labels', labelId);
			recordHistory(doc, by, 'label-removed', labelId, now);
		} else {
			setRecord(doc, 'internal', 'labels', labelId, { labelId, appliedBy: by, appliedAt: now });
			recordHistory(doc, by, 'label-added', labelId, now);
		}
	});
}

/** Defines a new organization label. */
export function defineLabel(lanes: ConversationLanes, member: MemberLanes, label: Label): RecordVerdict {
	return setRecord(lanes.doc(member.labelsDoc), 'labels', 'labels', label.id, label);
}

/** Assigns a member to the conversation, or unassigns them when assigned; the timeline shows who and when. */
export function toggleAssignee(lanes: ConversationLanes, member: MemberLanes, memberId: string, by: string): void {
	const doc = lanes.doc(member.internalDoc);
	const now = Date.now();
	doc.transact(() => {
		if (member.assignees.get(memberId)) {
			deleteRecord(doc, 'internal', 'assignees', memberId);
			recordHistory(doc, by, 'unassigned', memberId, now);
		} else {
			setRecord(doc, 'internal', 'assignees', memberId, { userId: memberId, assignedBy: by, assignedAt: now });
			recordHistory(doc, by, 'assigned', memberId, now);
		}
	});
}

/** Adds one of this user's own labels to a conversation (private: nobody else sees it). */
export function addPersonalLabel(client: Client, conversationId: string, labelId: string): void {
	const doc = privateDoc(client);
	if (doc) setRecord(doc, 'private', 'labels', personalLabelKey(conversationId, labelId), { conversationId, labelId });
}

/** Removes one of this user's own labels from a conversation. */
export function removePersonalLabel(client: Client, conversationId: string, labelId: string): void {
	const doc = privateDoc(client);
	if (doc) deleteRecord(doc, 'private', 'labels', personalLabelKey(conversationId, labelId));
}
