// Turns facts from the database into a grant for one (user, document) pair, through the one policy
// function. Unknown and forbidden documents get the same answer: no access.
import type { Client } from '@libsql/client';
import type { DocRef } from '../../src/lib/shared/doc-names.ts';
import {
	computeAccess,
	computeOrgDocAccess,
	computePersonalDocAccess,
	type AccessFacts,
	type LaneGrant
} from '../../src/lib/shared/policy.ts';

/** A connection's access to one document. */
export interface DocAccess {
	role: 'member' | 'guest' | 'owner' | 'none';
	lane: LaneGrant;
	/** The organization a conversation or org document belongs to (for label and member lookups). */
	orgId: string | null;
}

const NO_ACCESS: DocAccess = { role: 'none', lane: { read: false, write: false, presence: false }, orgId: null };

type OrgRole = 'owner' | 'admin' | 'member';

/** Reads the facts for (userId, ref) and computes the access. */
export async function resolveDocAccess(client: Client, userId: string, ref: DocRef): Promise<DocAccess> {
	if (ref.scope === 'user') {
		const lane = computePersonalDocAccess(userId, ref);
		return lane.read ? { role: 'owner', lane, orgId: null } : NO_ACCESS;
	}
	if (ref.scope === 'org') {
		const result = await client.execute({
			sql: 'SELECT role FROM memberships WHERE org_id = ? AND user_id = ?',
			args: [ref.id, userId]
		});
		const orgRole = (result.rows[0]?.role as OrgRole | undefined) ?? null;
		const lane = computeOrgDocAccess(orgRole);
		return lane.read ? { role: 'member', lane, orgId: ref.id } : NO_ACCESS;
	}
	const facts = await readConversationFacts(client, userId, ref.id);
	const grant = computeAccess(facts);
	const lane = grant.lanes[ref.lane];
	if (grant.role === 'none' || !lane.read) return NO_ACCESS;
	return { role: grant.role, lane, orgId: facts.conversation?.orgId ?? null };
}

/** The policy's facts about a user and a conversation, in one round trip. */
export async function readConversationFacts(client: Client, userId: string, conversationId: string): Promise<AccessFacts> {
	const [conv, member, participant] = await client.batch(
		[
			{
				sql: `SELECT c.org_id, c.kind, c.guests_allowed, o.guests_allowed AS org_guests, o.who_may_invite
				      FROM conversations c JOIN organizations o ON o.id = c.org_id WHERE c.id = ?`,
				args: [conversationId]
			},
			{
				sql: `SELECT m.role FROM memberships m JOIN conversations c ON c.org_id = m.org_id
				      WHERE c.id = ? AND m.user_id = ?`,
				args: [conversationId, userId]
			},
			{
				sql: 'SELECT role FROM conversation_participants WHERE conversation_id = ? AND user_id = ?',
				args: [conversationId, userId]
			}
		],
		'read'
	);
	const c = conv.rows[0];
	return {
		userId,
		orgRole: (member.rows[0]?.role as OrgRole | undefined) ?? null,
		participantRole: (participant.rows[0]?.role as 'member' | 'guest' | undefined) ?? null,
		conversation: c
			? { orgId: String(c.org_id), kind: c.kind as 'email' | 'channel', guestsAllowed: Boolean(Number(c.guests_allowed)) }
			: null,
		org: c ? { guestsAllowed: Boolean(Number(c.org_guests)), whoMayInvite: c.who_may_invite as 'members' | 'admins' } : null
	};
}

/** User ids of an organization's members (assignees must be members, never guests). */
export async function readOrgMemberIds(client: Client, orgId: string): Promise<Set<string>> {
	const result = await client.execute({ sql: 'SELECT user_id FROM memberships WHERE org_id = ?', args: [orgId] });
	return new Set(result.rows.map((row) => String(row.user_id)));
}
