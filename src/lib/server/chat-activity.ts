// What the server does after the relay stored a client's write: chat messages notify people and
// bring mentioned members into the conversation; assignments notify the assignee. Runs after the
// commit, never blocks or changes the write itself; mentions the policy does not allow are ignored.
import * as Y from 'yjs';
import { eq } from 'drizzle-orm';
import type { Activity, App } from './app-types.ts';
import { conversationParticipants, users } from './db/schema.ts';
import { readConversationGrant } from './access-facts.ts';
import { addMemberParticipants, filterOrgMembers, forgetAssignees, markNotificationsSeen, recordActivity, recordPersonalNotification } from './notifications.ts';
import { snippet } from './mail/inbound.ts';
import { touchConversation } from './conversations.ts';
import { parseDocName } from '../shared/doc-names.ts';
import { assigneeSchema, chatMessageSchema, readMarkerSchema, type ChatMessage } from '../shared/records.ts';

/** The JSON values an update writes (new and overwritten map entries). */
function writtenValues(update: Uint8Array): unknown[] {
	const values: unknown[] = [];
	for (const struct of Y.decodeUpdate(update).structs) {
		if (struct instanceof Y.Item && struct.content instanceof Y.ContentAny) values.push(...struct.content.arr);
	}
	return values;
}

/** A user's display name, cached for a minute: every chat message needs its author's. */
export async function readName(database: App, userId: string): Promise<string> {
	const names = database.names;
	const cached = names.get(userId);
	if (cached && Date.now() - cached.at < 60_000) return cached.name;
	const [row] = await database.db.select({ name: users.name }).from(users).where(eq(users.id, userId));
	const name = row?.name ?? 'Someone';
	if (names.size > 10_000) names.clear();
	names.set(userId, { name, at: Date.now() });
	return name;
}

/** Least time between two activity notifications of one conversation while messages keep coming. */
const ACTIVITY_SPACING_MS = 500;

/**
 * Records activity notifications one conversation at a time. Quiet conversations get one
 * notification per message; when messages arrive faster than they are recorded, the backlog is
 * folded into one ("3 new messages — latest …"), so a busy room costs a bounded amount of work
 * instead of a query per reader per message.
 */
function queueActivity(database: App, conversationId: string, activity: Activity): Promise<void> {
	const activityQueues = database.activityQueues;
	const queue = activityQueues.get(conversationId);
	if (queue) {
		queue.push(activity);
		return Promise.resolve();
	}
	const pending: Activity[] = [activity];
	activityQueues.set(conversationId, pending);
	return (async () => {
		try {
			while (pending.length > 0) {
				// a busy room: let more arrive, so they are folded into one notification
				if (pending.length > 0 && pending[0] !== activity) await new Promise((resolve) => setTimeout(resolve, ACTIVITY_SPACING_MS));
				const batch = pending.splice(0, pending.length);
				const last = batch[batch.length - 1];
				const actors = new Set(batch.map((a) => a.actorId));
				await recordActivity(database, {
					conversationId,
					// with several authors, each should still hear of the others' messages
					actorId: actors.size === 1 ? last.actorId : null,
					text: batch.length === 1 ? last.text : `${batch.length} new messages — latest: ${last.text}`,
					skip: batch.length === 1 ? last.skip : batch.flatMap((a) => a.skip)
				});
			}
		} finally {
			activityQueues.delete(conversationId);
		}
	})();
}

/** Called by the relay after it stored a client's write to `doc` (never for server writes). */
export async function handleAcceptedWrite(database: App, doc: string, update: Uint8Array, actorId: string): Promise<void> {
	const ref = parseDocName(doc);
	// a read marker is written wherever the user opens a conversation (any page, any device, or
	// offline and synced later): its notifications count as read from then on
	if (ref?.scope === 'user' && ref.lane === 'private' && ref.id === actorId) {
		try {
			for (const value of writtenValues(update)) {
				const parsed = readMarkerSchema.safeParse(value);
				if (parsed.success) await markNotificationsSeen(database, actorId, parsed.data.conversationId, parsed.data.lastReadAt);
			}
		} catch (error) {
			console.error(`[notifications] after a read marker in ${doc}: ${error instanceof Error ? error.message : String(error)}`);
		}
		return;
	}
	if (!ref || ref.scope !== 'conversation' || (ref.lane !== 'chat' && ref.lane !== 'internal')) return;
	// before anything awaits: a notification for a message right after this write sees the new assignees
	if (ref.lane === 'internal') forgetAssignees(database, ref.id);
	try {
		for (const value of writtenValues(update)) {
			if (ref.lane === 'chat') {
				const parsed = chatMessageSchema.safeParse(value);
				// the validator bound the key to the author; a value by someone else is an old one being deleted or
				// moved, or a moderator's removal; a removal is no news to anyone
				if (parsed.success && parsed.data.authorId === actorId && !parsed.data.removed) await recordChatMessage(database, ref.id, parsed.data);
			} else {
				const parsed = assigneeSchema.safeParse(value);
				if (parsed.success && parsed.data.assignedBy === actorId && parsed.data.userId !== actorId) {
					const name = await readName(database, actorId);
					await recordPersonalNotification(database, {
						id: `assigned:${ref.id}:${parsed.data.userId}:${parsed.data.assignedAt}`,
						userId: parsed.data.userId,
						conversationId: ref.id,
						kind: 'assigned',
						actorId,
						text: `${name} assigned this conversation to you`
					});
				}
			}
		}
	} catch (error) {
		console.error(`[notifications] after a write to ${doc}: ${error instanceof Error ? error.message : String(error)}`);
	}
}

/** Who a chat message may mention, by the author's grant: members anyone in the org or conversation, guests only the conversation's people. */
export async function resolveMentions(database: App, conversationId: string, authorId: string, mentions: string[]): Promise<{ allowed: string[]; toAdd: string[] }> {
	const wanted = [...new Set(mentions)].filter((id) => id !== authorId);
	if (wanted.length === 0) return { allowed: [], toAdd: [] }; // most messages: no database work at all
	const grant = await readConversationGrant(database.client, authorId, conversationId);
	if (grant.actions.mention === 'none') return { allowed: [], toAdd: [] };
	const rows = await database.db
		.select({ userId: conversationParticipants.userId })
		.from(conversationParticipants)
		.where(eq(conversationParticipants.conversationId, conversationId));
	const participants = new Set(rows.map((r) => r.userId));
	const members = grant.actions.mention === 'organization' ? await filterOrgMembers(database, conversationId, wanted) : new Set<string>();
	const allowed: string[] = [];
	for (const id of wanted) {
		if (!participants.has(id) && !members.has(id)) continue;
		// the person must still be able to open the conversation (a guest shut out is not "in" it)
		if ((await readConversationGrant(database.client, id, conversationId)).role === 'none') continue;
		allowed.push(id);
	}
	return { allowed, toAdd: allowed.filter((id) => !participants.has(id) && members.has(id)) };
}

/** Mentions (added as participants, notified) and activity for a chat message; an edit only adds new mentions. */
export async function recordChatMessage(database: App, conversationId: string, message: ChatMessage): Promise<{ mentioned: string[]; added: string[] }> {
	const { allowed, toAdd } = await resolveMentions(database, conversationId, message.authorId, message.mentions);
	const added = await addMemberParticipants(database, conversationId, toAdd);
	const name = await readName(database, message.authorId);
	const short = snippet(message.text);
	for (const userId of allowed) {
		await recordPersonalNotification(database, {
			id: `mention:${message.id}:${userId}`,
			userId,
			conversationId,
			kind: 'mention',
			actorId: message.authorId,
			text: `${name} mentioned you: ${short}`
		});
	}
	if (message.editedAt === undefined) {
		await queueActivity(database, conversationId, { actorId: message.authorId, text: `${name}: ${short}`, skip: allowed });
		void touchConversation(database, conversationId, `${name}: ${short}`);
	}
	return { mentioned: allowed, added };
}
