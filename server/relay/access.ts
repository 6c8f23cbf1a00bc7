// What the relay asks of the app about access, and how it holds the answers. The app implements
// AccessResolver (src/lib/server/relay-access.ts: facts from the database through policy.ts) and
// injects it; the relay never reads the database's facts itself. Unknown and forbidden documents
// get the same answer: no access.
import type { DocRef } from '../../src/lib/shared/doc-names.ts';
import type { LaneGrant } from '../../src/lib/shared/policy.ts';

/** A connection's access to one document. */
export interface DocAccess {
	role: 'member' | 'guest' | 'owner' | 'none';
	lane: LaneGrant;
	/** The organization a conversation or org document belongs to (for label and member lookups). */
	orgId: string | null;
}

/** Everything the relay needs to know about who may do what, answered by the app. */
export interface AccessResolver {
	/** The access of `userId` to the document `ref` (role 'none' for unknown and forbidden alike). */
	docAccess(userId: string, ref: DocRef): Promise<DocAccess>;
	/** The organization a conversation belongs to, or null when it does not exist. */
	conversationOrgId(conversationId: string): Promise<string | null>;
	/** User ids of an organization's members (assignees in `internal` must be members, never guests). */
	orgMemberIds(orgId: string): Promise<Set<string>>;
}

export const NO_ACCESS: DocAccess = Object.freeze({ role: 'none', lane: Object.freeze({ read: false, write: false, presence: false }), orgId: null });

/**
 * One shared, frozen object per distinct grant: every open subscription holds its access, and
 * thousands of subscriptions share a handful of grants (memory per connection is a benchmark
 * target). Bounded by organizations × roles × lane flags. One per relay.
 */
export class GrantInterner {
	#interned = new Map<string, DocAccess>();

	/** The shared copy of `access` (NO_ACCESS for any grant that does not let one read). */
	intern(access: DocAccess): DocAccess {
		const { role, lane, orgId } = access;
		if (role === 'none' || !lane.read) return NO_ACCESS;
		const key = `${role}|${+lane.read}${+lane.write}${+lane.presence}${+(lane.moderate === true)}|${orgId ?? ''}`;
		let shared = this.#interned.get(key);
		if (!shared) {
			const copy: LaneGrant = { read: lane.read, write: lane.write, presence: lane.presence };
			if (lane.moderate === true) copy.moderate = true;
			shared = Object.freeze({ role, lane: Object.freeze(copy), orgId });
			this.#interned.set(key, shared);
		}
		return shared;
	}
}
