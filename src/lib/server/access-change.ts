// The one place an access change is applied after the facts behind it (memberships, guest rows,
// guest switches, sessions) were written. Order matters: open sockets are re-decided first, so a
// person who lost a conversation stops receiving it before anything else happens (an inbox edit,
// a thread event); then the inboxes of everyone whose list may have changed are brought in line,
// which is also how an offline replica later learns to drop a conversation.
import type { AccessFilter } from '../../../server/relay/relay.ts';
import type { App } from './app.ts';
import { syncInbox } from './conversations.ts';

/** What changed. Each kind says whose open subscriptions and whose inboxes it may affect. */
export type AccessChange =
	/** One person's memberships or guest rows changed (joined, accepted, removed). */
	| { kind: 'person'; userId: string }
	/** An organization's guest settings changed: its guests may lose or regain every conversation. */
	| { kind: 'org-guests'; orgId: string }
	/** A conversation's guest switch changed: its guests lose or regain it. */
	| { kind: 'conversation-guests'; conversationId: string }
	/** Sessions ended (sign-out, an account taken back): their sockets close; inboxes are unchanged. */
	| { kind: 'sessions-ended'; sessionId: string }
	| { kind: 'sessions-ended'; userId: string };

/** Applies `change` to the relay's open subscriptions, then to the inboxes it affects. */
export async function applyAccessChange(app: App, change: AccessChange): Promise<void> {
	switch (change.kind) {
		case 'person':
			await refreshAccess(app, { userId: change.userId });
			await syncInbox(app, change.userId);
			return;
		case 'org-guests':
			await refreshAccess(app, { orgId: change.orgId });
			for (const userId of await readGuestIds(app, { orgId: change.orgId })) await syncInbox(app, userId);
			return;
		case 'conversation-guests':
			await refreshAccess(app, { conversationId: change.conversationId });
			for (const userId of await readGuestIds(app, { conversationId: change.conversationId })) await syncInbox(app, userId);
			return;
		case 'sessions-ended':
			await endSessions(app, 'sessionId' in change ? { sessionId: change.sessionId } : { userId: change.userId });
			return;
	}
}

// With several nodes the sockets affected may be held by any of them: the bus re-decides this node's
// first, then tells the others (server/scaleout/access-bus.ts); it rejects when Redis cannot take the
// message, so the action reports a failure instead of leaving other nodes' sockets open unsaid.
async function refreshAccess(app: App, filter: AccessFilter): Promise<void> {
	if (app.accessBus) await app.accessBus.apply({ kind: 'refresh', filter });
	else await app.relay.refreshAccess(filter);
}

async function endSessions(app: App, filter: { sessionId: string } | { userId: string }): Promise<void> {
	if (app.accessBus) await app.accessBus.apply({ kind: 'end-sessions', filter });
	else app.relay.endSessions(filter);
}

/** Guests of an organization's conversations, or of one conversation (their rows stay while guests are off). */
async function readGuestIds(app: App, where: { orgId: string } | { conversationId: string }): Promise<string[]> {
	const result = await app.client.execute(
		'orgId' in where
			? {
					sql: `SELECT DISTINCT p.user_id FROM conversation_participants p JOIN conversations c ON c.id = p.conversation_id
					      WHERE c.org_id = ? AND p.role = 'guest'`,
					args: [where.orgId]
				}
			: { sql: `SELECT user_id FROM conversation_participants WHERE conversation_id = ? AND role = 'guest'`, args: [where.conversationId] }
	);
	return result.rows.map((r) => String(r.user_id));
}
