// Access changes: which open subscriptions an access change may affect, and their new grants.
// The relay applies the decisions (drop, tell the client its new role) in one synchronous step.
import type { DocRef } from '../../src/lib/shared/doc-names.ts';
import type { AccessResolver, DocAccess } from './access.ts';
import type { Connection, Subscription } from './connection.ts';
import type { Room } from './room.ts';

/** Which open subscriptions an access change may affect. */
export interface AccessFilter {
	userId?: string;
	conversationId?: string;
	orgId?: string;
}

export interface AccessDecision {
	conn: Connection;
	doc: string;
	sub: Subscription;
	access: DocAccess;
}

/** Reloads the member lists the validator checks assignees against, for the rooms of the affected orgs. */
export async function refreshMembers(rooms: Iterable<Room>, filter: AccessFilter, access: AccessResolver): Promise<void> {
	for (const room of rooms) {
		if (room.members && room.orgId && (!filter.orgId || filter.orgId === room.orgId))
			room.members = await access.orgMemberIds(room.orgId);
	}
}

/**
 * Decides every affected subscription anew, without applying anything: applying each as soon as
 * it was read would let one lane keep receiving updates (fan-out runs between the awaits, e.g. over
 * a remote libsql) after another lane of the same conversation was already cut off.
 */
export async function decideAccess(
	connections: Iterable<Connection>,
	filter: AccessFilter,
	docAccess: (userId: string, ref: DocRef) => Promise<DocAccess>
): Promise<AccessDecision[]> {
	const decided: AccessDecision[] = [];
	for (const conn of [...connections]) {
		if (filter.userId && conn.identity.userId !== filter.userId) continue;
		for (const [doc, sub] of [...conn.subs]) {
			if (filter.conversationId && !(sub.ref.scope === 'conversation' && sub.ref.id === filter.conversationId)) continue;
			if (filter.orgId && sub.access.orgId !== filter.orgId && !(sub.ref.scope === 'org' && sub.ref.id === filter.orgId)) continue;
			decided.push({ conn, doc, sub, access: await docAccess(conn.identity.userId, sub.ref) });
		}
	}
	return decided;
}
