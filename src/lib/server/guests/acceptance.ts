// Accepting a guest invitation (existing accounts, members of other organizations, new people
// signing up from the link). The decision is pure (computeAcceptRefusal); the rest is I/O.
import { and, eq, gt, isNull } from 'drizzle-orm';
import type { Client } from '@libsql/client';
import type { App } from '../app.ts';
import { conversationParticipants, invitations, memberships, users } from '../db/schema.ts';
import { hashToken, invalidateUserSessions, type SessionUser } from '../auth/session.ts';
import { hashPassword } from '../auth/accounts.ts';
import { readConversationFacts } from '../access-facts.ts';
import { addThreadEvent, updateThreadEvent } from '../conversations.ts';
import { applyAccessChange } from '../access-change.ts';
import { InvitationMessages } from '../invitations.ts';
import { canJoinAsGuest, type AccessFacts } from '../../shared/policy.ts';
import { GuestMessages } from './messages.ts';
import { computeInvitationEventId, readGuestInvitation, type GuestInvitationView } from './invitations.ts';

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
		.returning({ id: invitations.id, conversationId: invitations.conversationId, invitedBy: invitations.invitedBy });
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
	// "invitation pending" now says who joined: she is a participant, her name is no secret here
	await updateThreadEvent(database, conversationId, computeInvitationEventId(claimed.id), { type: 'invitation-accepted', subjectName: user.name });
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
