// What the guest settings pages list: an organization's guests, pending guest invitations, the
// conversations' guest switches. Reads only.
import { and, eq, gt, inArray, isNull, ne } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { conversationParticipants, conversations, invitations, users } from '../db/schema.ts';

export interface OrgGuest {
	id: string;
	name: string;
	email: string;
	conversations: Array<{ id: string; subject: string; invitedByName: string | null; addedAt: number }>;
}
export interface PendingGuestInvitation {
	id: string;
	email: string;
	conversationId: string;
	subject: string;
	invitedByName: string | null;
	expiresAt: number;
}

/** The organization's guests with their conversations and who invited them (the settings page; members only). */
export async function listOrgGuests(db: Db, orgId: string): Promise<OrgGuest[]> {
	const rows = await db
		.select({
			userId: users.id,
			name: users.name,
			email: users.email,
			conversationId: conversations.id,
			subject: conversations.subject,
			invitedBy: conversationParticipants.invitedBy,
			addedAt: conversationParticipants.addedAt
		})
		.from(conversationParticipants)
		.innerJoin(conversations, eq(conversations.id, conversationParticipants.conversationId))
		.innerJoin(users, eq(users.id, conversationParticipants.userId))
		.where(and(eq(conversations.orgId, orgId), eq(conversationParticipants.role, 'guest')))
		.orderBy(users.name, conversationParticipants.addedAt);
	const inviterIds = [...new Set(rows.map((r) => r.invitedBy).filter((id): id is string => !!id))];
	const inviters = inviterIds.length ? await db.select({ id: users.id, name: users.name }).from(users).where(inArray(users.id, inviterIds)) : [];
	const nameOf = new Map(inviters.map((u) => [u.id, u.name]));
	const byUser = new Map<string, OrgGuest>();
	for (const r of rows) {
		let g = byUser.get(r.userId);
		if (!g) byUser.set(r.userId, (g = { id: r.userId, name: r.name, email: r.email, conversations: [] }));
		g.conversations.push({ id: r.conversationId, subject: r.subject, invitedByName: r.invitedBy ? (nameOf.get(r.invitedBy) ?? null) : null, addedAt: r.addedAt });
	}
	return [...byUser.values()];
}

/** Pending guest invitations of an organization, or of one conversation. */
export async function listPendingGuestInvitations(db: Db, filter: { orgId: string; conversationId?: string }, now = Date.now()): Promise<PendingGuestInvitation[]> {
	const rows = await db
		.select({
			id: invitations.id,
			email: invitations.email,
			conversationId: invitations.conversationId,
			subject: conversations.subject,
			invitedByName: users.name,
			expiresAt: invitations.expiresAt
		})
		.from(invitations)
		.innerJoin(conversations, eq(conversations.id, invitations.conversationId))
		.leftJoin(users, eq(users.id, invitations.invitedBy))
		.where(
			and(
				eq(invitations.orgId, filter.orgId),
				eq(invitations.kind, 'guest'),
				filter.conversationId ? eq(invitations.conversationId, filter.conversationId) : undefined,
				isNull(invitations.acceptedAt),
				isNull(invitations.revokedAt),
				gt(invitations.expiresAt, now)
			)
		)
		.orderBy(invitations.createdAt);
	return rows.map((r) => ({ ...r, conversationId: r.conversationId ?? '' }));
}

/** Conversations of an organization with their guest switch (the settings page). */
export async function listConversationGuestSwitches(db: Db, orgId: string) {
	return db
		.select({ id: conversations.id, subject: conversations.subject, guestsAllowed: conversations.guestsAllowed })
		.from(conversations)
		.where(and(eq(conversations.orgId, orgId), ne(conversations.subject, '')))
		.orderBy(conversations.subject);
}
