import { and, asc, desc, eq, gt, isNull } from 'drizzle-orm';
import type { Db } from './db/index.ts';
import { conversations, invitations, memberships, organizations, sessions, users } from './db/schema.ts';
import type { OrgRole } from '../shared/policy.ts';

// Organizations and membership. Roles: owner (created it), admin, member (OrgRole, policy.ts).

export interface OrgSummary {
	id: string;
	name: string;
	role: OrgRole;
	/** Where the organization receives email; null only for organizations made before addresses were given out. */
	inboxAddress: string | null;
}

/** Creates an organization with `userId` as its owner. */
export async function createOrganization(db: Db, userId: string, name: string, inboxAddress: string | null = null): Promise<OrgSummary> {
	const now = Date.now();
	const id = crypto.randomUUID();
	await db.batch([
		db.insert(organizations).values({ id, name, inboxAddress, createdAt: now }),
		db.insert(memberships).values({ orgId: id, userId, role: 'owner', createdAt: now })
	]);
	return { id, name, role: 'owner', inboxAddress };
}

/** Every organization the user belongs to, oldest membership first. */
export async function listUserOrgs(db: Db, userId: string): Promise<OrgSummary[]> {
	return db
		.select({ id: organizations.id, name: organizations.name, role: memberships.role, inboxAddress: organizations.inboxAddress })
		.from(memberships)
		.innerJoin(organizations, eq(memberships.orgId, organizations.id))
		.where(eq(memberships.userId, userId))
		.orderBy(asc(memberships.createdAt), asc(organizations.name));
}

/** The user's role in an organization, or null when they are not a member. */
export async function getRole(db: Db, orgId: string, userId: string): Promise<OrgRole | null> {
	const [row] = await db
		.select({ role: memberships.role })
		.from(memberships)
		.where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)));
	return row?.role ?? null;
}

/** The organization to show: the session's current one if the user still belongs to it, else their first. */
export function pickCurrentOrg(orgs: OrgSummary[], currentOrgId: string | null): OrgSummary | null {
	return orgs.find((o) => o.id === currentOrgId) ?? orgs[0] ?? null;
}

/** Makes `orgId` the session's current organization; false (nothing changed) when the user is not a member. */
export async function switchOrganization(db: Db, sessionId: string, userId: string, orgId: string): Promise<boolean> {
	if (!(await getRole(db, orgId, userId))) return false;
	await db.update(sessions).set({ currentOrgId: orgId }).where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId)));
	return true;
}

export async function getOrganization(db: Db, orgId: string) {
	const [row] = await db.select().from(organizations).where(eq(organizations.id, orgId));
	return row ?? null;
}

/** Members with their roles, owners first. */
export async function listMembers(db: Db, orgId: string) {
	const rows = await db
		.select({ id: users.id, name: users.name, email: users.email, role: memberships.role, joinedAt: memberships.createdAt })
		.from(memberships)
		.innerJoin(users, eq(memberships.userId, users.id))
		.where(eq(memberships.orgId, orgId))
		.orderBy(asc(memberships.createdAt));
	const rank: Record<OrgRole, number> = { owner: 0, admin: 1, member: 2 };
	return rows.sort((a, b) => rank[a.role] - rank[b.role]);
}

/** Member invitations not yet accepted, revoked or expired. */
export async function listPendingInvitations(db: Db, orgId: string, now = Date.now()) {
	return db
		.select({ id: invitations.id, email: invitations.email, role: invitations.role, expiresAt: invitations.expiresAt, createdAt: invitations.createdAt })
		.from(invitations)
		.where(
			and(
				eq(invitations.orgId, orgId),
				eq(invitations.kind, 'member'),
				isNull(invitations.acceptedAt),
				isNull(invitations.revokedAt),
				gt(invitations.expiresAt, now)
			)
		)
		.orderBy(desc(invitations.createdAt));
}

/** The organization's conversations, most recent activity first (placeholder home until the inbox exists). */
export async function listConversations(db: Db, orgId: string) {
	return db
		.select({ id: conversations.id, subject: conversations.subject, kind: conversations.kind, lastActivityAt: conversations.lastActivityAt })
		.from(conversations)
		.where(eq(conversations.orgId, orgId))
		.orderBy(desc(conversations.lastActivityAt));
}
