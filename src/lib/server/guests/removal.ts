// Taking guest access away: withdrawing a pending invitation, removing a guest. Decided by
// computeGuestRemovalGrant (as if guests were on), applied through applyAccessChange.
import { and, eq, inArray } from 'drizzle-orm';
import type { App } from '../app.ts';
import { conversationParticipants, conversations, invitations, users } from '../db/schema.ts';
import { readConversationFacts } from '../access-facts.ts';
import { addThreadEvent } from '../conversations.ts';
import { applyAccessChange } from '../access-change.ts';
import { computeGuestRemovalGrant, type Grant } from '../../shared/policy.ts';
import { GuestMessages, type Refusal } from './messages.ts';
import { markInvitationsWithdrawn, withdrawInvitations } from './invitations.ts';

/** Whether `actorId` may remove guests from / withdraw invitations of a conversation. */
export async function readRemoveGrant(database: App, actorId: string, conversationId: string): Promise<Grant> {
	return computeGuestRemovalGrant(await readConversationFacts(database.client, actorId, conversationId));
}

/** Withdraws a pending guest invitation (the link stops working); members with revokeGuest, or its inviter. */
export async function revokeGuestInvitation(database: App, actorId: string, invitationId: string, now = Date.now()): Promise<boolean> {
	const { db } = database;
	const [inv] = await db
		.select({ conversationId: invitations.conversationId, invitedBy: invitations.invitedBy })
		.from(invitations)
		.where(and(eq(invitations.id, invitationId), eq(invitations.kind, 'guest')));
	if (!inv?.conversationId) return false;
	const grant = await readRemoveGrant(database, actorId, inv.conversationId);
	if (grant.role !== 'member' || (!grant.actions.revokeGuest && inv.invitedBy !== actorId)) return false;
	const done = await withdrawInvitations(db, eq(invitations.id, invitationId), now);
	await markInvitationsWithdrawn(database, done);
	return done.length > 0;
}

export type RemoveGuestResult = { ok: true; removed: string[] } | ({ ok: false } & Refusal);

/**
 * Removes a guest from one conversation, or (`conversationId` null) from every conversation of
 * `orgId` the actor may manage. Their pending invitations there are withdrawn too; the guest's
 * inbox and open sockets learn at once (the client deletes its local copy).
 */
export async function removeGuest(
	database: App,
	input: { actorId: string; guestId: string; orgId: string; conversationId: string | null },
	now = Date.now()
): Promise<RemoveGuestResult> {
	const { db } = database;
	const rows = await db
		.select({ conversationId: conversationParticipants.conversationId })
		.from(conversationParticipants)
		.innerJoin(conversations, eq(conversations.id, conversationParticipants.conversationId))
		.where(
			and(
				eq(conversations.orgId, input.orgId),
				eq(conversationParticipants.userId, input.guestId),
				eq(conversationParticipants.role, 'guest'),
				input.conversationId ? eq(conversationParticipants.conversationId, input.conversationId) : undefined
			)
		);
	const allowed: string[] = [];
	for (const { conversationId } of rows) {
		const grant = await readRemoveGrant(database, input.actorId, conversationId);
		if (grant.role === 'member' && grant.actions.revokeGuest) allowed.push(conversationId);
	}
	if (rows.length === 0 || allowed.length === 0) return { ok: false, status: 403, message: GuestMessages.removeForbidden };
	const [actor] = await db.select({ name: users.name }).from(users).where(eq(users.id, input.actorId));
	const [guest] = await db.select({ name: users.name, email: users.email }).from(users).where(eq(users.id, input.guestId));
	const [, withdrawn] = await db.batch([
		db
			.delete(conversationParticipants)
			.where(and(eq(conversationParticipants.userId, input.guestId), eq(conversationParticipants.role, 'guest'), inArray(conversationParticipants.conversationId, allowed))),
		withdrawInvitations(db, and(eq(invitations.email, guest?.email ?? ''), inArray(invitations.conversationId, allowed)), now)
	]);
	// before the thread events: open sockets lose the documents before anything else happens
	await applyAccessChange(database, { kind: 'person', userId: input.guestId });
	for (const conversationId of allowed) {
		await addThreadEvent(database, conversationId, { type: 'guest-removed', actorName: actor?.name ?? 'Someone', subjectName: guest?.name ?? 'a guest' });
	}
	await markInvitationsWithdrawn(database, withdrawn);
	return { ok: true, removed: allowed };
}
