import { and, eq, gt, isNull } from 'drizzle-orm';
import type { Db } from './db/index.ts';
import { invitations, memberships, organizations, users } from './db/schema.ts';
import { generateSessionToken, hashToken, type SessionUser } from './auth/session.ts';
import { getRole } from './orgs.ts';
import { canManageMembers } from '../shared/policy.ts';

// Member invitations: a single-use, expiring token bound to the invited address; only its hash is stored.

export const INVITATION_LIFETIME = 7 * 24 * 60 * 60 * 1000;

export type CreateInvitationResult =
	| { ok: true; token: string; id: string; orgName: string }
	| { ok: false; status: 403 | 400; message: string };

/** Invites `email` to the organization as a member or admin; only owners and admins may. */
export async function createMemberInvitation(
	db: Db,
	input: { orgId: string; inviterId: string; email: string; role: 'admin' | 'member' },
	now = Date.now()
): Promise<CreateInvitationResult> {
	const role = await getRole(db, input.orgId, input.inviterId);
	if (!canManageMembers(role)) return { ok: false, status: 403, message: 'Only owners and admins can invite members.' };
	const [org] = await db.select({ name: organizations.name }).from(organizations).where(eq(organizations.id, input.orgId));
	if (!org) return { ok: false, status: 403, message: 'Only owners and admins can invite members.' };
	const email = input.email.toLowerCase();
	const [already] = await db
		.select({ id: users.id })
		.from(users)
		.innerJoin(memberships, and(eq(memberships.userId, users.id), eq(memberships.orgId, input.orgId)))
		.where(eq(users.email, email));
	if (already) return { ok: false, status: 400, message: `${email} is already a member of ${org.name}.` };
	const token = generateSessionToken();
	const id = crypto.randomUUID();
	await db.insert(invitations).values({
		id,
		tokenHash: hashToken(token),
		kind: 'member',
		orgId: input.orgId,
		email,
		role: input.role,
		invitedBy: input.inviterId,
		expiresAt: now + INVITATION_LIFETIME,
		createdAt: now
	});
	return { ok: true, token, id, orgName: org.name };
}

export type InvitationStatus = 'valid' | 'accepted' | 'expired' | 'revoked' | 'unknown';
export interface InvitationView {
	status: InvitationStatus;
	id?: string;
	orgId?: string;
	orgName?: string;
	email?: string;
	role?: 'admin' | 'member' | 'guest';
	inviterName?: string;
}

/** What an invitation link is, without consuming it (GET of the link). */
/** Where an invitation stands: used, withdrawn, expired or still valid (member and guest invitations alike). */
export function computeInvitationStatus(inv: { acceptedAt: number | null; revokedAt: number | null; expiresAt: number }, now: number): InvitationStatus {
	return inv.acceptedAt !== null ? 'accepted' : inv.revokedAt !== null ? 'revoked' : inv.expiresAt <= now ? 'expired' : 'valid';
}

export async function readInvitation(db: Db, token: string, now = Date.now()): Promise<InvitationView> {
	const [row] = await db
		.select({ inv: invitations, orgName: organizations.name, inviterName: users.name })
		.from(invitations)
		.innerJoin(organizations, eq(invitations.orgId, organizations.id))
		.leftJoin(users, eq(users.id, invitations.invitedBy))
		.where(and(eq(invitations.tokenHash, hashToken(token)), eq(invitations.kind, 'member')));
	if (!row) return { status: 'unknown' };
	const { inv } = row;
	const status = computeInvitationStatus(inv, now);
	return { status, id: inv.id, orgId: inv.orgId, orgName: row.orgName, email: inv.email, role: inv.role, inviterName: row.inviterName ?? undefined };
}

/** Messages for invitation states other than valid. */
export const InvitationMessages: Record<Exclude<InvitationStatus, 'valid'>, string> = {
	accepted: 'This invitation has already been used. Ask the person who invited you for a new one.',
	expired: 'This invitation has expired. Ask the person who invited you for a new one.',
	revoked: 'This invitation was withdrawn. Ask the person who invited you if you think this is a mistake.',
	unknown: 'This invitation link is not valid. Check that you copied the whole link.'
};

export type AcceptResult =
	| { ok: true; orgId: string; orgName: string }
	| { ok: false; status: 400 | 409; message: string; needsConfirmation?: boolean };

/**
 * Accepts a member invitation for `user`. A user whose address differs from the invited one must
 * confirm explicitly (`confirmDifferentEmail`), since the link may have been forwarded.
 */
export async function acceptMemberInvitation(
	db: Db,
	token: string,
	user: SessionUser,
	opts: { confirmDifferentEmail?: boolean } = {},
	now = Date.now()
): Promise<AcceptResult> {
	const view = await readInvitation(db, token, now);
	if (view.status !== 'valid') return { ok: false, status: 400, message: InvitationMessages[view.status] };
	const sameEmail = view.email === user.email.toLowerCase();
	if (!sameEmail && !opts.confirmDifferentEmail) {
		return {
			ok: false,
			status: 400,
			needsConfirmation: true,
			message: `This invitation was sent to ${view.email}, but you are signed in as ${user.email}. Tick the box to join as ${user.email}.`
		};
	}
	// single use: only one request can flip accepted_at from null
	const [claimed] = await db
		.update(invitations)
		.set({ acceptedAt: now, acceptedBy: user.id })
		.where(
			and(
				eq(invitations.tokenHash, hashToken(token)),
				isNull(invitations.acceptedAt),
				isNull(invitations.revokedAt),
				gt(invitations.expiresAt, now)
			)
		)
		.returning({ orgId: invitations.orgId, role: invitations.role });
	if (!claimed) return { ok: false, status: 400, message: InvitationMessages.accepted };
	const role = claimed.role === 'admin' ? 'admin' : 'member';
	// an existing member keeps their role (an invitation never demotes an owner)
	await db.insert(memberships).values({ orgId: claimed.orgId, userId: user.id, role, createdAt: now }).onConflictDoNothing();
	if (sameEmail) await db.update(users).set({ emailVerifiedAt: now }).where(and(eq(users.id, user.id), isNull(users.emailVerifiedAt)));
	return { ok: true, orgId: claimed.orgId, orgName: view.orgName ?? '' };
}

/** Withdraws a pending invitation; only owners and admins of its organization may. */
export async function revokeInvitation(db: Db, invitationId: string, actorId: string, now = Date.now()): Promise<boolean> {
	const [inv] = await db.select({ orgId: invitations.orgId }).from(invitations).where(eq(invitations.id, invitationId));
	if (!inv || !canManageMembers(await getRole(db, inv.orgId, actorId))) return false;
	const done = await db
		.update(invitations)
		.set({ revokedAt: now })
		.where(and(eq(invitations.id, invitationId), isNull(invitations.acceptedAt), isNull(invitations.revokedAt)))
		.returning({ id: invitations.id });
	return done.length > 0;
}
