// Turns facts from the database into a grant for one (user, document) pair, through the one policy
// function. Unknown and forbidden documents get the same answer: no access.
import type { Client } from '@libsql/client';
import type { DocRef } from '../../src/lib/shared/doc-names.ts';
import {
	computeAccess,
	computeOrgDocAccess,
	computePersonalDocAccess,
	type LaneGrant
} from '../../src/lib/shared/policy.ts';
import { readConversationFacts, readOrgMemberIds } from '../../src/lib/server/access-facts.ts';

export { readOrgMemberIds };

/** A connection's access to one document. */
export interface DocAccess {
	role: 'member' | 'guest' | 'owner' | 'none';
	lane: LaneGrant;
	/** The organization a conversation or org document belongs to (for label and member lookups). */
	orgId: string | null;
}

const NO_ACCESS: DocAccess = Object.freeze({ role: 'none', lane: Object.freeze({ read: false, write: false, presence: false }), orgId: null });

/**
 * One shared, frozen object per distinct grant: every open subscription holds its access, and
 * thousands of subscriptions share a handful of grants (memory per connection is a benchmark
 * target). Bounded by organizations × roles × lane flags.
 */
const interned = new Map<string, DocAccess>();
function intern(role: DocAccess['role'], lane: LaneGrant, orgId: string | null): DocAccess {
	const key = `${role}|${+lane.read}${+lane.write}${+lane.presence}|${orgId ?? ''}`;
	let access = interned.get(key);
	if (!access) {
		access = Object.freeze({ role, lane: Object.freeze({ read: lane.read, write: lane.write, presence: lane.presence }), orgId });
		interned.set(key, access);
	}
	return access;
}

type OrgRole = 'owner' | 'admin' | 'member';

/** Reads the facts for (userId, ref) and computes the access. */
export async function resolveDocAccess(client: Client, userId: string, ref: DocRef): Promise<DocAccess> {
	if (ref.scope === 'user') {
		const lane = computePersonalDocAccess(userId, ref);
		return lane.read ? intern('owner', lane, null) : NO_ACCESS;
	}
	if (ref.scope === 'org') {
		const result = await client.execute({
			sql: 'SELECT role FROM memberships WHERE org_id = ? AND user_id = ?',
			args: [ref.id, userId]
		});
		const orgRole = (result.rows[0]?.role as OrgRole | undefined) ?? null;
		const lane = computeOrgDocAccess(orgRole);
		return lane.read ? intern('member', lane, ref.id) : NO_ACCESS;
	}
	const facts = await readConversationFacts(client, userId, ref.id);
	const grant = computeAccess(facts);
	const lane = grant.lanes[ref.lane];
	if (grant.role === 'none' || !lane.read) return NO_ACCESS;
	return intern(grant.role, lane, facts.conversation?.orgId ?? null);
}


/** The organization a conversation belongs to, or null when it does not exist. */
export async function readConversationOrgId(client: Client, conversationId: string): Promise<string | null> {
	const result = await client.execute({ sql: 'SELECT org_id FROM conversations WHERE id = ?', args: [conversationId] });
	return result.rows[0] ? String(result.rows[0].org_id) : null;
}
