// The relay's access questions answered from the database: facts read here (access-facts.ts), the
// decision made by the one policy function. createApp injects this into the relay, which imports
// nothing of the app.
import type { Client } from '@libsql/client';
import type { AccessResolver, DocAccess } from '../../../server/relay/access.ts';
import type { DocRef } from '../shared/doc-names.ts';
import { computeAccess, computeOrgDocAccess, computePersonalDocAccess, type OrgRole } from '../shared/policy.ts';
import { readConversationFacts, readOrgMemberIds } from './access-facts.ts';

const NONE: DocAccess = { role: 'none', lane: { read: false, write: false, presence: false }, orgId: null };

/** Reads the facts for (userId, ref) and computes the access. */
export async function readDocAccess(client: Client, userId: string, ref: DocRef): Promise<DocAccess> {
	if (ref.scope === 'user') {
		const lane = computePersonalDocAccess(userId, ref);
		return lane.read ? { role: 'owner', lane, orgId: null } : NONE;
	}
	if (ref.scope === 'org') {
		const result = await client.execute({
			sql: 'SELECT role FROM memberships WHERE org_id = ? AND user_id = ?',
			args: [ref.id, userId]
		});
		const orgRole = (result.rows[0]?.role as OrgRole | undefined) ?? null;
		const lane = computeOrgDocAccess(orgRole);
		return lane.read ? { role: 'member', lane, orgId: ref.id } : NONE;
	}
	const facts = await readConversationFacts(client, userId, ref.id);
	const grant = computeAccess(facts);
	const lane = grant.lanes[ref.lane];
	if (grant.role === 'none' || !lane.read) return NONE;
	return { role: grant.role, lane, orgId: facts.conversation?.orgId ?? null };
}

/** The organization a conversation belongs to, or null when it does not exist. */
export async function readConversationOrgId(client: Client, conversationId: string): Promise<string | null> {
	const result = await client.execute({ sql: 'SELECT org_id FROM conversations WHERE id = ?', args: [conversationId] });
	return result.rows[0] ? String(result.rows[0].org_id) : null;
}

/** The relay's access resolver over the app's database. */
export function createRelayAccess(client: Client): AccessResolver {
	return {
		docAccess: (userId, ref) => readDocAccess(client, userId, ref),
		conversationOrgId: (conversationId) => readConversationOrgId(client, conversationId),
		orgMemberIds: (orgId) => readOrgMemberIds(client, orgId)
	};
}
