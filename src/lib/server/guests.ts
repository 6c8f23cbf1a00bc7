// Guest access (DESIGN.md §1, §7): invitations to one conversation by an email link, accepting
// them (existing accounts, members of other organizations, new people), removing guests and the
// organization/conversation switches. Every authorization goes through computeAccess; the
// decisions are pure functions of facts read here (computeGuestInvitationRefusal,
// computeAcceptRefusal), the rest is I/O.
import { and, eq, gt, inArray, isNull, ne } from 'drizzle-orm';
import type { Client } from '@libsql/client';
import type { Db } from './db/index.ts';
import type { App } from './app.ts';
import { conversationParticipants, conversations, invitations, memberships, organizations, users } from './db/schema.ts';
import { generateSessionToken, hashToken, invalidateUserSessions, type SessionUser } from './auth/session.ts';
import { hashPassword } from './auth/accounts.ts';
import { readConversationFacts } from './access-facts.ts';
import { addThreadEvent } from './conversations.ts';
import { applyAccessChange } from './access-change.ts';
import { sendMail } from './mail/index.ts';
import { getRole } from './orgs.ts';
import { INVITATION_LIFETIME, InvitationMessages, computeInvitationStatus, type InvitationStatus } from './invitations.ts';
import { canJoinAsGuest, canManageMembers, computeAccess, computeGuestRemovalGrant, type AccessFacts, type Grant } from '../shared/policy.ts';

export { INVITATION_LIFETIME as GUEST_INVITATION_LIFETIME };

/** What a person is told; one message for "not allowed" whether or not the conversation exists. */
export const GuestMessages = {
	forbidden: 'You cannot invite guests to this conversation.',
	orgOff: 'Guest access is turned off for this organization. An admin can turn it on in the organization’s guest settings.',
	conversationOff: 'Guests are turned off for this conversation. Turn them on for this conversation first.',
	adminsOnly: 'Only owners and admins can invite guests in this organization.',
	notFound: 'This conversation does not exist or you do not have access to it.',
	alreadyGuest: 'This person is already a guest in this conversation.',
	removeForbidden: 'You cannot remove guests from this conversation.',
	settingsForbidden: 'Only owners and admins can change guest settings.',
	acceptOff: 'Guest access to this conversation has been turned off, so this invitation cannot be used now. Ask the person who invited you.'
} as const;

export type Refusal = { status: 400 | 403 | 404; message: string };

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
		db
			.update(invitations)
			.set({ revokedAt: now })
			.where(
				and(
					eq(invitations.kind, 'guest'),
					eq(invitations.conversationId, input.conversationId),
					eq(invitations.email, email),
					isNull(invitations.acceptedAt),
					isNull(invitations.revokedAt)
				)
			)
			.returning({ id: invitations.id }),
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
	// the thread is read by guests too: never the invited address there
	await addThreadEvent(database, input.conversationId, { type: 'invitation-pending', actorName: read.inviterName, subjectName: 'someone' });
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

export type AcceptGuestResult =
	| { ok: true; conversationId: string; alreadyMember: boolean }
	| { ok: false; status: 400 | 403; message: string; needsConfirmation?: boolean };

/** Why `user` may not accept the invitation now, or null (pure). */
export function computeAcceptRefusal(
	view: GuestInvitationView,
	user: SessionUser,
	facts: AccessFacts,
	confirmDifferentEmail: boolean
): { status: 400 | 403; message: string; needsConfirmation?: boolean } | null {
	if (view.status !== 'valid') return { status: 400, message: InvitationMessages[view.status] };
	if (view.email !== user.email.toLowerCase() && !confirmDifferentEmail) {
		return {
			status: 400,
			needsConfirmation: true,
			message: `This invitation was sent to ${view.email}, but you are signed in as ${user.email}. Tick the box to join as ${user.email}.`
		};
	}
	if (facts.orgRole === null && !canJoinAsGuest(facts)) return { status: 403, message: GuestMessages.acceptOff };
	return null;
}

/**
 * Accepts a guest invitation for `user` (POST only). The token is the proof: nothing is granted
 * without it, whatever address an account claims. A user whose address differs from the invited
 * one must confirm (the link may have been forwarded); a matching unverified address is verified,
 * since only its owner received the link. A member of the organization is simply sent to the
 * conversation and the link stays unused.
 */
export async function acceptGuestInvitation(
	database: App,
	token: string,
	user: SessionUser,
	opts: { confirmDifferentEmail?: boolean } = {},
	now = Date.now()
): Promise<AcceptGuestResult> {
	const { db, client } = database;
	const view = await readGuestInvitation(db, token, now);
	if (view.status !== 'valid' || !view.conversationId) return { ok: false, status: 400, message: InvitationMessages[view.status === 'valid' ? 'unknown' : view.status] };
	const facts = await readConversationFacts(client, user.id, view.conversationId);
	const refusal = computeAcceptRefusal(view, user, facts, !!opts.confirmDifferentEmail);
	if (refusal) return { ok: false, ...refusal };
	if (facts.orgRole !== null) return { ok: true, conversationId: view.conversationId, alreadyMember: true };
	// the per-guest limit was checked for the invited address; whoever accepts (a forwarded link,
	// confirmed) may already be a guest in other conversations of this organization
	const limit = await readGuestLimit(client, user.id, view.conversationId);
	if (limit && limit.conversations >= limit.max) {
		return {
			ok: false,
			status: 400,
			message: `You are already a guest in ${limit.conversations} conversations of ${limit.orgName}, the limit. Ask its team to remove you from one first.`
		};
	}

	// single use: only one request can flip accepted_at from null
	const [claimed] = await db
		.update(invitations)
		.set({ acceptedAt: now, acceptedBy: user.id })
		.where(and(eq(invitations.tokenHash, hashToken(token)), isNull(invitations.acceptedAt), isNull(invitations.revokedAt), gt(invitations.expiresAt, now)))
		.returning({ conversationId: invitations.conversationId, invitedBy: invitations.invitedBy });
	if (!claimed?.conversationId) return { ok: false, status: 400, message: InvitationMessages.accepted };
	const conversationId = claimed.conversationId;
	await db
		.insert(conversationParticipants)
		.values({ conversationId, userId: user.id, role: 'guest', invitedBy: claimed.invitedBy, addedAt: now })
		.onConflictDoNothing();
	if (view.email === user.email.toLowerCase()) {
		await db.update(users).set({ emailVerifiedAt: now }).where(and(eq(users.id, user.id), isNull(users.emailVerifiedAt)));
	}
	await applyAccessChange(database, { kind: 'person', userId: user.id });
	await addThreadEvent(database, conversationId, { type: 'guest-joined', actorName: user.name, subjectName: user.name });
	return { ok: true, conversationId, alreadyMember: false };
}

/** How many other conversations of this conversation's organization the user is a guest in, and the organization's limit. */
async function readGuestLimit(client: Client, userId: string, conversationId: string): Promise<{ conversations: number; max: number; orgName: string } | null> {
	const result = await client.execute({
		sql: `SELECT o.conversations_per_guest AS max, o.name AS org_name,
		             (SELECT count(*) FROM conversation_participants p JOIN conversations c2 ON c2.id = p.conversation_id
		               WHERE p.user_id = ? AND p.role = 'guest' AND c2.org_id = c.org_id AND p.conversation_id != c.id) AS n
		        FROM conversations c JOIN organizations o ON o.id = c.org_id WHERE c.id = ?`,
		args: [userId, conversationId]
	});
	const row = result.rows[0];
	return row ? { conversations: Number(row.n), max: Number(row.max), orgName: String(row.org_name) } : null;
}

export type GuestSignUpResult = { ok: true; user: SessionUser } | { ok: false; status: 400; message: string };

/**
 * The account a new person gets when signing up from a guest link, with the invited address
 * (proven by the link). An unverified, empty account someone else pre-registered for that address
 * is taken back: new password and name, its sessions and sockets ended, so whoever registered it
 * gains nothing. An unverified account that holds organizations or conversations is not handed to
 * whoever has the link (it may have been forwarded): its owner signs in instead.
 */
export async function createGuestAccount(
	database: App,
	input: { email: string; name: string; password: string },
	now = Date.now()
): Promise<GuestSignUpResult> {
	const { db } = database;
	const email = input.email.toLowerCase();
	const passwordHash = await hashPassword(input.password);
	const [existing] = await db.select().from(users).where(eq(users.email, email));
	if (existing) {
		if (existing.emailVerifiedAt !== null) {
			return { ok: false, status: 400, message: 'An account with this email address already exists. Sign in with it to accept the invitation.' };
		}
		// a link can be forwarded: never hand over an account that holds anything (organizations,
		// conversations); its owner signs in, or asks for a sign-in link, which proves the address
		const [memberOf, takesPart] = await Promise.all([
			db.select({ orgId: memberships.orgId }).from(memberships).where(eq(memberships.userId, existing.id)).limit(1),
			db.select({ id: conversationParticipants.conversationId }).from(conversationParticipants).where(eq(conversationParticipants.userId, existing.id)).limit(1)
		]);
		const holds = [...memberOf, ...takesPart];
		if (holds.length) {
			return {
				ok: false,
				status: 400,
				message: 'An account with this email address already exists. Sign in with it, or ask for a sign-in link on the sign-in page, then open this invitation again.'
			};
		}
		await invalidateUserSessions(db, existing.id);
		await applyAccessChange(database, { kind: 'sessions-ended', userId: existing.id });
		await db.update(users).set({ name: input.name, passwordHash, emailVerifiedAt: now }).where(eq(users.id, existing.id));
		return { ok: true, user: { id: existing.id, email, name: input.name } };
	}
	const user = { id: crypto.randomUUID(), email, name: input.name };
	const inserted = await db
		.insert(users)
		.values({ ...user, passwordHash, emailVerifiedAt: now, createdAt: now })
		.onConflictDoNothing()
		.returning({ id: users.id });
	if (!inserted.length) return { ok: false, status: 400, message: 'An account with this email address already exists. Sign in with it to accept the invitation.' };
	return { ok: true, user };
}

/** Whether `actorId` may remove guests from / withdraw invitations of a conversation. */
async function readRemoveGrant(database: App, actorId: string, conversationId: string): Promise<Grant> {
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
	const done = await db
		.update(invitations)
		.set({ revokedAt: now })
		.where(and(eq(invitations.id, invitationId), isNull(invitations.acceptedAt), isNull(invitations.revokedAt)))
		.returning({ id: invitations.id });
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
	await db.batch([
		db
			.delete(conversationParticipants)
			.where(and(eq(conversationParticipants.userId, input.guestId), eq(conversationParticipants.role, 'guest'), inArray(conversationParticipants.conversationId, allowed))),
		db
			.update(invitations)
			.set({ revokedAt: now })
			.where(
				and(
					eq(invitations.kind, 'guest'),
					eq(invitations.email, guest?.email ?? ''),
					inArray(invitations.conversationId, allowed),
					isNull(invitations.acceptedAt),
					isNull(invitations.revokedAt)
				)
			)
	]);
	// before the thread events: open sockets lose the documents before anything else happens
	await applyAccessChange(database, { kind: 'person', userId: input.guestId });
	for (const conversationId of allowed) {
		await addThreadEvent(database, conversationId, { type: 'guest-removed', actorName: actor?.name ?? 'Someone', subjectName: guest?.name ?? 'a guest' });
	}
	return { ok: true, removed: allowed };
}

/** The guest settings of an organization. */
export interface OrgGuestSettings {
	guestsAllowed: boolean;
	whoMayInvite: 'members' | 'admins';
	guestsPerInviter: number;
	conversationsPerGuest: number;
}

/** Changes an organization's guest settings (owners and admins); turning guests off shuts them out at once. */
export async function updateOrgGuestSettings(
	database: App,
	actorId: string,
	orgId: string,
	settings: OrgGuestSettings
): Promise<{ ok: true } | ({ ok: false } & Refusal)> {
	const { db } = database;
	if (!canManageMembers(await getRole(db, orgId, actorId))) return { ok: false, status: 403, message: GuestMessages.settingsForbidden };
	await db.update(organizations).set(settings).where(eq(organizations.id, orgId));
	await applyAccessChange(database, { kind: 'org-guests', orgId });
	return { ok: true };
}

/** Turns guests on or off for one conversation (members who may manage its guests); existing guests lose or regain access at once. */
export async function setConversationGuestsAllowed(
	database: App,
	actorId: string,
	conversationId: string,
	allowed: boolean
): Promise<{ ok: true } | ({ ok: false } & Refusal)> {
	const { db } = database;
	const grant = await readRemoveGrant(database, actorId, conversationId);
	if (grant.role !== 'member') return { ok: false, status: 404, message: GuestMessages.notFound };
	if (!grant.actions.revokeGuest) return { ok: false, status: 403, message: GuestMessages.forbidden };
	await db.update(conversations).set({ guestsAllowed: allowed }).where(eq(conversations.id, conversationId));
	await applyAccessChange(database, { kind: 'conversation-guests', conversationId });
	return { ok: true };
}

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

/** Guest settings of an organization, or null when it does not exist. */
export async function readOrgGuestSettings(db: Db, orgId: string): Promise<(OrgGuestSettings & { name: string }) | null> {
	const [row] = await db
		.select({
			name: organizations.name,
			guestsAllowed: organizations.guestsAllowed,
			whoMayInvite: organizations.whoMayInvite,
			guestsPerInviter: organizations.guestsPerInviter,
			conversationsPerGuest: organizations.conversationsPerGuest
		})
		.from(organizations)
		.where(eq(organizations.id, orgId));
	return row ?? null;
}

/** Conversations of an organization with their guest switch (the settings page). */
export async function listConversationGuestSwitches(db: Db, orgId: string) {
	return db
		.select({ id: conversations.id, subject: conversations.subject, guestsAllowed: conversations.guestsAllowed })
		.from(conversations)
		.where(and(eq(conversations.orgId, orgId), ne(conversations.subject, '')))
		.orderBy(conversations.subject);
}

/** The guest invitation mail: the conversation's subject and the inviter's name, never anyone else's address. */
export async function mailGuestInvitation(
	db: Db,
	input: { origin: string; to: string; token: string; subject: string; orgName: string; inviterName: string }
): Promise<void> {
	const link = `${input.origin}/invite/guest/${input.token}`;
	await sendMail(db, {
		to: input.to,
		subject: `${input.inviterName} invited you to “${input.subject}” on Parley`,
		text: [
			`${input.inviterName} (${input.orgName}) invited you as a guest to the conversation “${input.subject}” on Parley, a shared team inbox.`,
			'',
			'Open this link to join (it works once and expires in 7 days):',
			'',
			link,
			'',
			'You can use an account you already have, or create one with this address.',
			'If you were not expecting this, you can ignore this email.'
		].join('\n')
	});
}
