// Reads the facts the policy needs from the database. The relay and SvelteKit loads/actions both
// use these, so a grant is always computed from the same facts by the same function.
import type { Client } from '@libsql/client';
import { computeAccess, type AccessFacts, type Grant, type OrgRole } from '../shared/policy.ts';

/** The policy's facts about a user and a conversation, in one round trip. */
export async function readConversationFacts(client: Client, userId: string, conversationId: string): Promise<AccessFacts> {
	return (await readConversationFactsForUsers(client, conversationId, [userId])).get(userId)!;
}

/** The user's grant on a conversation (role `none` for unknown and forbidden alike). */
export async function readConversationGrant(client: Client, userId: string, conversationId: string): Promise<Grant> {
	return computeAccess(await readConversationFacts(client, userId, conversationId));
}

/** User ids of an organization's members (assignees must be members, never guests). */
export async function readOrgMemberIds(client: Client, orgId: string): Promise<Set<string>> {
	const result = await client.execute({ sql: 'SELECT user_id FROM memberships WHERE org_id = ?', args: [orgId] });
	return new Set(result.rows.map((row) => String(row.user_id)));
}

/** The policy's facts for many users of one conversation, in one round trip (notifications fan out to everyone in it). */
export async function readConversationFactsForUsers(client: Client, conversationId: string, userIds: string[]): Promise<Map<string, AccessFacts>> {
	const out = new Map<string, AccessFacts>();
	if (userIds.length === 0) return out;
	const marks = userIds.map(() => '?').join(',');
	const [conv, members, participants] = await client.batch(
		[
			{
				sql: `SELECT c.org_id, c.kind, c.guests_allowed, o.guests_allowed AS org_guests, o.who_may_invite
				      FROM conversations c JOIN organizations o ON o.id = c.org_id WHERE c.id = ?`,
				args: [conversationId]
			},
			{
				sql: `SELECT m.user_id, m.role FROM memberships m JOIN conversations c ON c.org_id = m.org_id
				      WHERE c.id = ? AND m.user_id IN (${marks})`,
				args: [conversationId, ...userIds]
			},
			{
				sql: `SELECT user_id, role FROM conversation_participants WHERE conversation_id = ? AND user_id IN (${marks})`,
				args: [conversationId, ...userIds]
			}
		],
		'read'
	);
	const c = conv.rows[0];
	const orgRole = new Map(members.rows.map((r) => [String(r.user_id), r.role as OrgRole]));
	const participantRole = new Map(participants.rows.map((r) => [String(r.user_id), r.role as 'member' | 'guest']));
	for (const userId of userIds) {
		out.set(userId, {
			userId,
			orgRole: orgRole.get(userId) ?? null,
			participantRole: participantRole.get(userId) ?? null,
			conversation: c
				? { orgId: String(c.org_id), kind: c.kind as 'email' | 'channel', guestsAllowed: Boolean(Number(c.guests_allowed)) }
				: null,
			org: c ? { guestsAllowed: Boolean(Number(c.org_guests)), whoMayInvite: c.who_may_invite as 'members' | 'admins' } : null
		});
	}
	return out;
}

/** One user's grants on many conversations, in one round trip (search results are checked this way). */
export async function readConversationGrantsForUser(client: Client, userId: string, conversationIds: string[]): Promise<Map<string, Grant>> {
	const out = new Map<string, Grant>();
	if (conversationIds.length === 0) return out;
	const marks = conversationIds.map(() => '?').join(',');
	const [convs, members, participants] = await client.batch(
		[
			{
				sql: `SELECT c.id, c.org_id, c.kind, c.guests_allowed, o.guests_allowed AS org_guests, o.who_may_invite
				      FROM conversations c JOIN organizations o ON o.id = c.org_id WHERE c.id IN (${marks})`,
				args: conversationIds
			},
			{ sql: 'SELECT org_id, role FROM memberships WHERE user_id = ?', args: [userId] },
			{ sql: `SELECT conversation_id, role FROM conversation_participants WHERE user_id = ? AND conversation_id IN (${marks})`, args: [userId, ...conversationIds] }
		],
		'read'
	);
	const orgRole = new Map(members.rows.map((r) => [String(r.org_id), r.role as OrgRole]));
	const participantRole = new Map(participants.rows.map((r) => [String(r.conversation_id), r.role as 'member' | 'guest']));
	const byId = new Map(convs.rows.map((c) => [String(c.id), c]));
	for (const id of conversationIds) {
		const c = byId.get(id);
		out.set(
			id,
			computeAccess({
				userId,
				orgRole: c ? (orgRole.get(String(c.org_id)) ?? null) : null,
				participantRole: participantRole.get(id) ?? null,
				conversation: c ? { orgId: String(c.org_id), kind: c.kind as 'email' | 'channel', guestsAllowed: Boolean(Number(c.guests_allowed)) } : null,
				org: c ? { guestsAllowed: Boolean(Number(c.org_guests)), whoMayInvite: c.who_may_invite as 'members' | 'admins' } : null
			})
		);
	}
	return out;
}
