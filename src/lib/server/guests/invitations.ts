// Inviting a guest to one conversation by an email link, reading what a link is, and the one way
// pending invitations are withdrawn (here and in removal.ts), which rewrites their thread events.
// The decision is a pure function of facts read here (computeGuestInvitationRefusal); the rest is I/O.
import { createHash } from 'node:crypto';
import { and, eq, gt, isNull, type SQL } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import type { App } from '../app.ts';
import { conversationParticipants, conversations, invitations, memberships, organizations, users } from '../db/schema.ts';
import { generateSessionToken, hashToken } from '../auth/session.ts';
import { readConversationFacts } from '../access-facts.ts';
import { addThreadEvent, updateThreadEvent } from '../conversations.ts';
import { INVITATION_LIFETIME, computeInvitationStatus, type InvitationStatus } from '../invitations.ts';
import { computeAccess, type AccessFacts } from '../../shared/policy.ts';
import { GuestMessages, type Refusal } from './messages.ts';

export { INVITATION_LIFETIME as GUEST_INVITATION_LIFETIME };

/** The facts an invitation decision needs besides the inviter's grant. */
export interface GuestInvitationFacts {
	facts: AccessFacts;
	orgName: string;
	/** The invited address belongs to a member of the conversation's organization. */
	inviteeIsMember: boolean;
	/** The invited address belongs to a user who is already a guest in this conversation. */
	inviteeIsGuestHere: boolean;
	/** Distinct addresses this inviter already brought in as guests (pending or joined), in this org. */
	inviterGuests: Set<string>;
	guestsPerInviter: number;
	/** Conversations of this org the address is a guest in or has a pending invitation to (other than this one). */
	inviteeConversations: number;
	conversationsPerGuest: number;
}

/** Why `email` may not be invited, or null when the invitation may be sent (pure). */
export function computeGuestInvitationRefusal(email: string, f: GuestInvitationFacts): Refusal | null {
	const grant = computeAccess(f.facts);
	if (grant.role !== 'member') return { status: 404, message: GuestMessages.notFound };
	if (!grant.actions.inviteGuest) {
		// say why, since a member of the organization may know: a switch, or admins only
		if (f.facts.org && !f.facts.org.guestsAllowed) return { status: 403, message: GuestMessages.orgOff };
		if (f.facts.conversation && !f.facts.conversation.guestsAllowed) return { status: 403, message: GuestMessages.conversationOff };
		if (f.facts.org?.whoMayInvite === 'admins') return { status: 403, message: GuestMessages.adminsOnly };
		return { status: 403, message: GuestMessages.forbidden };
	}
	if (f.inviteeIsMember) {
		return { status: 400, message: `${email} is a member of ${f.orgName}: they can open this conversation already, no invitation needed.` };
	}
	if (f.inviteeIsGuestHere) return { status: 400, message: GuestMessages.alreadyGuest };
	if (!f.inviterGuests.has(email) && f.inviterGuests.size >= f.guestsPerInviter) {
		return {
			status: 400,
			message: `You have reached the limit of ${f.guestsPerInviter} guests per person in ${f.orgName}. Remove a guest or withdraw an invitation first.`
		};
	}
	if (f.inviteeConversations >= f.conversationsPerGuest) {
		return { status: 400, message: `${email} is already a guest in ${f.conversationsPerGuest} conversations of ${f.orgName}, the limit.` };
	}
	return null;
}

export type InviteGuestResult =
	| { ok: true; token: string; invitationId: string; email: string; subject: string; orgName: string; inviterName: string; revokedOlder: number }
	| ({ ok: false } & Refusal);

async function readGuestInvitationFacts(database: App, inviterId: string, conversationId: string, email: string, now: number) {
	const { db, client } = database;
	const facts = await readConversationFacts(client, inviterId, conversationId);
	if (!facts.conversation) return null;
	const orgId = facts.conversation.orgId;
	const [[org], [conv], [inviter], invitee] = await Promise.all([
		db.select().from(organizations).where(eq(organizations.id, orgId)),
		db.select({ subject: conversations.subject }).from(conversations).where(eq(conversations.id, conversationId)),
		db.select({ name: users.name }).from(users).where(eq(users.id, inviterId)),
		db.select({ id: users.id }).from(users).where(eq(users.email, email))
	]);
	const inviteeId = invitee[0]?.id ?? null;
	const pending = and(isNull(invitations.acceptedAt), isNull(invitations.revokedAt), gt(invitations.expiresAt, now));
	const [memberRow, guestHere, byInviterPending, byInviterJoined, inviteePending, inviteeJoined] = await Promise.all([
		inviteeId
			? db.select({ r: memberships.role }).from(memberships).where(and(eq(memberships.orgId, orgId), eq(memberships.userId, inviteeId)))
			: Promise.resolve([]),
		inviteeId
			? db
					.select({ r: conversationParticipants.role })
					.from(conversationParticipants)
					.where(and(eq(conversationParticipants.conversationId, conversationId), eq(conversationParticipants.userId, inviteeId)))
			: Promise.resolve([]),
		db
			.select({ email: invitations.email })
			.from(invitations)
			.where(and(eq(invitations.orgId, orgId), eq(invitations.kind, 'guest'), eq(invitations.invitedBy, inviterId), pending)),
		db
			.select({ email: users.email })
			.from(conversationParticipants)
			.innerJoin(conversations, eq(conversations.id, conversationParticipants.conversationId))
			.innerJoin(users, eq(users.id, conversationParticipants.userId))
			.where(and(eq(conversations.orgId, orgId), eq(conversationParticipants.role, 'guest'), eq(conversationParticipants.invitedBy, inviterId))),
		db
			.select({ conversationId: invitations.conversationId })
			.from(invitations)
			.where(and(eq(invitations.orgId, orgId), eq(invitations.kind, 'guest'), eq(invitations.email, email), pending)),
		inviteeId
			? db
					.select({ conversationId: conversationParticipants.conversationId })
					.from(conversationParticipants)
					.innerJoin(conversations, eq(conversations.id, conversationParticipants.conversationId))
					.where(and(eq(conversations.orgId, orgId), eq(conversationParticipants.userId, inviteeId), eq(conversationParticipants.role, 'guest')))
			: Promise.resolve([])
	]);
	const inviteeConversations = new Set(
		[...inviteePending, ...inviteeJoined].map((r) => r.conversationId).filter((id): id is string => !!id && id !== conversationId)
	);
	return {
		orgId,
		subject: conv?.subject ?? '',
		inviterName: inviter?.name ?? 'Someone',
		decision: {
			facts,
			orgName: org.name,
			inviteeIsMember: memberRow.length > 0,
			inviteeIsGuestHere: guestHere.length > 0,
			inviterGuests: new Set([...byInviterPending, ...byInviterJoined].map((r) => r.email)),
			guestsPerInviter: org.guestsPerInviter,
			inviteeConversations: inviteeConversations.size,
			conversationsPerGuest: org.conversationsPerGuest
		} satisfies GuestInvitationFacts
	};
}

/**
 * The id of the thread event announcing an invitation, so accepting or withdrawing it can rewrite
 * that event. Derived by a hash because guests read the thread: the invitation's own id (what a
 * withdraw form posts) never appears there.
 */
export function computeInvitationEventId(invitationId: string): string {
	return createHash('sha256').update(`invitation-event:${invitationId}`).digest('base64url').slice(0, 24);
}

/**
 * The one statement that withdraws pending guest invitations (those matching `which`): run it
 * alone or in the caller's batch, so a withdrawal stays atomic with what causes it, then pass its
 * rows to markInvitationsWithdrawn.
 */
export function withdrawInvitations(db: Db, which: SQL | undefined, now: number) {
	return db
		.update(invitations)
		.set({ revokedAt: now })
		.where(and(eq(invitations.kind, 'guest'), which, isNull(invitations.acceptedAt), isNull(invitations.revokedAt)))
		.returning({ id: invitations.id, conversationId: invitations.conversationId });
}

/** Turns the "invitation pending" events of withdrawn invitations into "invitation withdrawn". */
export async function markInvitationsWithdrawn(database: App, withdrawn: Array<{ id: string; conversationId: string | null }>): Promise<void> {
	for (const inv of withdrawn) {
		if (inv.conversationId) {
			await updateThreadEvent(database, inv.conversationId, computeInvitationEventId(inv.id), { type: 'invitation-withdrawn', subjectName: 'someone' });
		}
	}
}

/**
 * Invites `email` as a guest of one conversation. A new invitation to the same address for the
 * same conversation withdraws the older pending ones (only the newest link works). The caller
 * mails the token; only its hash is stored.
 */
export async function inviteGuest(
	database: App,
	input: { inviterId: string; conversationId: string; email: string },
	now = Date.now()
): Promise<InviteGuestResult> {
	const email = input.email.trim().toLowerCase();
	const read = await readGuestInvitationFacts(database, input.inviterId, input.conversationId, email, now);
	if (!read) return { ok: false, status: 404, message: GuestMessages.notFound };
	const refusal = computeGuestInvitationRefusal(email, read.decision);
	if (refusal) return { ok: false, ...refusal };
	const { db } = database;
	const token = generateSessionToken();
	const id = crypto.randomUUID();
	const [revoked] = await db.batch([
		withdrawInvitations(db, and(eq(invitations.conversationId, input.conversationId), eq(invitations.email, email)), now),
		db.insert(invitations).values({
			id,
			tokenHash: hashToken(token),
			kind: 'guest',
			orgId: read.orgId,
			conversationId: input.conversationId,
			email,
			role: 'guest',
			invitedBy: input.inviterId,
			expiresAt: now + INVITATION_LIFETIME,
			createdAt: now
		})
	]);
	await markInvitationsWithdrawn(database, revoked);
	// the thread is read by guests too: never the invited address there
	await addThreadEvent(database, input.conversationId, { type: 'invitation-pending', actorName: read.inviterName, subjectName: 'someone' }, computeInvitationEventId(id));
	return {
		ok: true,
		token,
		invitationId: id,
		email,
		subject: read.subject,
		orgName: read.decision.orgName,
		inviterName: read.inviterName,
		revokedOlder: revoked.length
	};
}

export interface GuestInvitationView {
	status: InvitationStatus;
	id?: string;
	orgId?: string;
	orgName?: string;
	conversationId?: string;
	subject?: string;
	email?: string;
	inviterName?: string;
}

/** What a guest invitation link is, without consuming it (GET of the link: mail scanners open links). */
export async function readGuestInvitation(db: Db, token: string, now = Date.now()): Promise<GuestInvitationView> {
	const [row] = await db
		.select({ inv: invitations, orgName: organizations.name, subject: conversations.subject, inviterName: users.name })
		.from(invitations)
		.innerJoin(organizations, eq(invitations.orgId, organizations.id))
		.innerJoin(conversations, eq(invitations.conversationId, conversations.id))
		.leftJoin(users, eq(users.id, invitations.invitedBy))
		.where(and(eq(invitations.tokenHash, hashToken(token)), eq(invitations.kind, 'guest')));
	if (!row) return { status: 'unknown' };
	const { inv } = row;
	const status = computeInvitationStatus(inv, now);
	return {
		status,
		id: inv.id,
		orgId: inv.orgId,
		orgName: row.orgName,
		conversationId: inv.conversationId ?? undefined,
		subject: row.subject,
		email: inv.email,
		inviterName: row.inviterName ?? undefined
	};
}
