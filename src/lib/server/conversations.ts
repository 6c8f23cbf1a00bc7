// Conversations outside the CRDT: creating channels, the per-user inbox index (u/<id>/inbox,
// written only by the server), the view facts a conversation page needs, and system events.
import type { Client } from '@libsql/client';
import * as Y from 'yjs';
import { and, eq } from 'drizzle-orm';
import type { Database } from './db/index.ts';
import { conversationParticipants, conversations, memberships, organizations } from './db/schema.ts';
import { readConversationFacts, readConversationFactsForUsers } from './access-facts.ts';
import type { App } from './app-types.ts';
import { canCreateConversation, computeAccess, type Grant, type OrgRole } from '../shared/policy.ts';
import { conversationDoc, userDoc } from '../shared/doc-names.ts';
import { createId, type InboxEntry, type ThreadEvent } from '../shared/records.ts';

export const MAX_SUBJECT = 200;

/** The conversations a user can open, each with the role the policy gives them. */
export async function listInboxEntries(client: Client, userId: string): Promise<InboxEntry[]> {
	// candidates with every fact the policy needs, in one query: every conversation of the user's
	// organizations, and those they take part in (a per-conversation fact read was O(conversations))
	const result = await client.execute({
		sql: `SELECT c.id, c.org_id, o.name AS org_name, c.subject, c.kind, c.last_activity_at, c.snippet, c.guests_allowed, c.status, c.snooze_until, c.last_sent_at,
		             o.guests_allowed AS org_guests, o.who_may_invite, m.role AS org_role, p.role AS participant_role
		      FROM conversations c
		      JOIN organizations o ON o.id = c.org_id
		      LEFT JOIN memberships m ON m.org_id = c.org_id AND m.user_id = ?
		      LEFT JOIN conversation_participants p ON p.conversation_id = c.id AND p.user_id = ?
		      WHERE m.user_id IS NOT NULL OR p.user_id IS NOT NULL`,
		args: [userId, userId]
	});
	const entries: InboxEntry[] = [];
	for (const row of result.rows) {
		const grant = computeAccess({
			userId,
			orgRole: (row.org_role as OrgRole | null) ?? null,
			participantRole: (row.participant_role as 'member' | 'guest' | null) ?? null,
			conversation: { orgId: String(row.org_id), kind: row.kind as 'email' | 'channel', guestsAllowed: Boolean(Number(row.guests_allowed)) },
			org: { guestsAllowed: Boolean(Number(row.org_guests)), whoMayInvite: row.who_may_invite as 'members' | 'admins' }
		});
		if (grant.role === 'none') continue;
		entries.push({
			id: String(row.id),
			orgId: String(row.org_id),
			orgName: String(row.org_name),
			subject: String(row.subject),
			kind: row.kind as 'email' | 'channel',
			role: grant.role,
			snippet: String(row.snippet ?? ''),
			lastActivityAt: Number(row.last_activity_at),
			// the team's triage state is members-only: a guest's entry carries none
			...(grant.role === 'member'
				? {
						status: row.status as 'open' | 'closed' | 'snoozed',
						...(row.snooze_until === null ? {} : { snoozeUntil: Number(row.snooze_until) }),
						...(row.last_sent_at === null || row.last_sent_at === undefined ? {} : { lastSentAt: Number(row.last_sent_at) })
					}
				: {})
		});
	}
	return entries;
}

/**
 * Brings a user's inbox document in line with what they may open. Entries they lost are removed,
 * which is how a replica learns to drop a conversation it was revoked from.
 */
export async function syncInbox(database: App, userId: string, snippets?: Map<string, string>): Promise<void> {
	const entries = await listInboxEntries(database.client, userId);
	await database.relay.serverEdit(userDoc(userId, 'inbox'), (ydoc) => {
		const map = ydoc.getMap<InboxEntry>('conversations');
		const wanted = new Map(entries.map((e) => [e.id, e]));
		for (const key of [...map.keys()]) if (!wanted.has(key)) map.delete(key);
		for (const [id, entry] of wanted) {
			const current = map.get(id);
			// the stored snippet, unless activity that is not stored yet brings a newer one
			const next = { ...entry, snippet: snippets?.get(id) ?? (entry.snippet || current?.snippet || '') };
			if (JSON.stringify(current) !== JSON.stringify(next)) map.set(id, next);
		}
	});
}

/** Re-syncs the inbox of everyone who can see a conversation (members of its org and its participants). */
/** Everyone who might open a conversation: its organization's members and its participants (the policy still decides). */
async function readConversationPeople(client: Client, conversationId: string): Promise<string[]> {
	const result = await client.execute({
		sql: `SELECT user_id FROM memberships WHERE org_id = (SELECT org_id FROM conversations WHERE id = ?)
		      UNION SELECT user_id FROM conversation_participants WHERE conversation_id = ?`,
		args: [conversationId, conversationId]
	});
	return result.rows.map((r) => String(r.user_id));
}

export async function syncConversationInboxes(
	database: App,
	conversationId: string,
	alsoUserIds: string[] = [],
	snippets?: Map<string, string>
): Promise<void> {
	const ids = new Set([...(await readConversationPeople(database.client, conversationId)), ...alsoUserIds]);
	for (const id of ids) await syncInbox(database, id, snippets);
}

/** How long activity in a conversation settles before inboxes are updated (one write per burst, not per message). */
export const TOUCH_SETTLE_MS = 750;
/** During continuous activity, inboxes are still updated this often. */
export const TOUCH_MAX_WAIT_MS = 5000;

/**
 * Records activity in a conversation: its last-activity time, and the snippet shown in everyone's
 * inbox list (which is how other people's lists show it as unread). Debounced per conversation.
 * The snippet must be something every reader of the inbox may see (chat or thread text, never
 * internal data).
 */
export function touchConversation(database: App, conversationId: string, snippet: string): Promise<void> {
	const touches = database.touches;
	const pending = touches.get(conversationId);
	const first = pending?.first ?? Date.now();
	const waiters = pending?.waiters ?? [];
	if (pending) clearTimeout(pending.timer);
	const delay = Math.max(0, Math.min(TOUCH_SETTLE_MS, first + TOUCH_MAX_WAIT_MS - Date.now()));
	return new Promise((resolve) => {
		waiters.push(resolve);
		const run = async () => {
			touches.delete(conversationId);
			try {
				await writeActivity(database, conversationId, snippet.slice(0, 500));
			} catch (error) {
				console.error(`[inbox] activity in ${conversationId}: ${error instanceof Error ? error.message : String(error)}`);
			}
			for (const wake of waiters) wake();
		};
		const timer = setTimeout(run, delay);
		timer.unref();
		touches.set(conversationId, { timer, first, waiters, run });
	});
}

/**
 * Stores every debounced activity now, instead of when its timer fires: a shutdown must not drop
 * the last burst's snippet and time (inbox order after a restart), nor write after the database
 * has closed.
 */
export async function flushActivity(database: App): Promise<void> {
	const pending = [...database.touches.values()];
	for (const touch of pending) clearTimeout(touch.timer);
	await Promise.all(pending.map((touch) => touch.run()));
}

/** How long an organization's member list serves live inbox pushes before it is read again. */
const ORG_INBOXES_TTL_MS = 2000;

/**
 * The people of a conversation whose inbox document is open right now. Reading every member of
 * the organization on every burst of activity made a 2,000-member organization's chat cost ~2,000
 * rows per message (most of the relay's CPU on the many-conversations bench), so the member list
 * is kept per organization for a moment. A list that is a little old is harmless here: each id is
 * still checked against fresh facts before anything is written, and someone who just joined got
 * their whole inbox written when they joined (applyAccessChange).
 */
async function readOpenInboxes(database: App, conversationId: string): Promise<string[]> {
	const { rows } = await database.client.execute({
		sql: `SELECT c.org_id AS org_id, p.user_id AS user_id FROM conversations c
		      LEFT JOIN conversation_participants p ON p.conversation_id = c.id WHERE c.id = ?`,
		args: [conversationId]
	});
	if (rows.length === 0) return [];
	const orgId = String(rows[0].org_id);
	let org = database.orgInboxes.get(orgId);
	if (!org || Date.now() - org.at > ORG_INBOXES_TTL_MS) {
		const members = await database.client.execute({ sql: 'SELECT user_id FROM memberships WHERE org_id = ?', args: [orgId] });
		org = { at: Date.now(), inboxes: members.rows.map((r) => [String(r.user_id), userDoc(String(r.user_id), 'inbox')]) };
		if (database.orgInboxes.size > 10_000) database.orgInboxes.clear();
		database.orgInboxes.set(orgId, org);
	}
	const open = new Set<string>();
	for (const [userId, doc] of org.inboxes) if (database.relay.hasSubscribers(doc)) open.add(userId);
	for (const row of rows) {
		const userId = row.user_id === null ? null : String(row.user_id);
		if (userId && database.relay.hasSubscribers(userDoc(userId, 'inbox'))) open.add(userId);
	}
	return [...open];
}

/**
 * Stores a conversation's activity (snippet, last activity) and updates its entry in the inbox
 * documents of people who have theirs open right now. Everyone else's inbox is brought up to date
 * from the stored row when they next load the app (`syncInbox`): pushing into every member's inbox
 * on every burst of activity would cost members × active conversations document edits.
 */
async function writeActivity(database: App, conversationId: string, snippet: string): Promise<void> {
	const now = Date.now();
	await database.db.update(conversations).set({ lastActivityAt: now, snippet }).where(eq(conversations.id, conversationId));
	const relay = database.relay;
	const ids = await readOpenInboxes(database, conversationId);
	const facts = await readConversationFactsForUsers(database.client, conversationId, ids);
	for (const userId of ids) {
		if (computeAccess(facts.get(userId)!).role === 'none') continue;
		let missing = false;
		await relay.serverEdit(userDoc(userId, 'inbox'), (ydoc) => {
			const map = ydoc.getMap<InboxEntry>('conversations');
			const current = map.get(conversationId);
			if (current) map.set(conversationId, { ...current, snippet, lastActivityAt: now });
			else missing = true;
		});
		// someone who can open it but has no entry yet (just added): write their whole inbox
		if (missing) await syncInbox(database, userId);
	}
}

export type CreateResult = { ok: true; id: string } | { ok: false; status: 400 | 403; message: string };

/** Creates a channel (a conversation with no external thread); members only, through the policy. */
export async function createChannel(database: App, userId: string, orgId: string, subject: string, actorName: string): Promise<CreateResult> {
	const { db } = database;
	const trimmed = subject.trim();
	if (!trimmed) return { ok: false, status: 400, message: 'Give the channel a name.' };
	if (trimmed.length > MAX_SUBJECT) return { ok: false, status: 400, message: `Channel names are at most ${MAX_SUBJECT} characters.` };
	const [membership] = await db
		.select({ role: memberships.role })
		.from(memberships)
		.where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)));
	if (!canCreateConversation(membership?.role ?? null)) return { ok: false, status: 403, message: 'Only members of this organization can create channels.' };
	const id = createId();
	const now = Date.now();
	await db.batch([
		db.insert(conversations).values({ id, orgId, subject: trimmed, kind: 'channel', createdBy: userId, createdAt: now, lastActivityAt: now }),
		db.insert(conversationParticipants).values({ conversationId: id, userId, role: 'member', addedAt: now })
	]);
	await addThreadEvent(database, id, { type: 'conversation-created', actorName, subjectName: trimmed });
	await syncConversationInboxes(database, id);
	return { ok: true, id };
}

/** Adds a system event (invitation pending, guest joined, …) to a conversation's thread document, under `id` when given. */
export async function addThreadEvent(database: App, conversationId: string, event: Omit<ThreadEvent, 'id' | 'at'>, id = createId()): Promise<void> {
	await database.relay.serverEdit(conversationDoc(conversationId, 'thread'), (ydoc) => {
		ydoc.getMap('events').set(id, { id, at: Date.now(), ...event });
	});
}

/**
 * Rewrites an event already in the thread (an invitation that was accepted or withdrawn), keeping
 * its place in time; nothing happens when the thread has no event under `id`.
 */
export async function updateThreadEvent(database: App, conversationId: string, id: string, change: Pick<ThreadEvent, 'type' | 'subjectName'>): Promise<void> {
	await database.relay.serverEdit(conversationDoc(conversationId, 'thread'), (ydoc) => {
		const events = ydoc.getMap<ThreadEvent>('events');
		const event = events.get(id);
		if (event) events.set(id, { ...event, ...change });
	});
}

export interface Person {
	id: string;
	name: string;
}
export interface ConversationView {
	conversation: { id: string; subject: string; kind: 'email' | 'channel'; orgId: string; orgName: string; /** Members only: the address replies go out from. */ inboxAddress: string | null };
	grant: Grant;
	/** Who takes part; never email addresses. */
	participants: Array<Person & { role: 'member' | 'guest' }>;
	/** Who the viewer may @mention, as the policy allows (guests: only people in the conversation). */
	mentionable: Person[];
	/** Who may be assigned: the organization's members; empty for guests, who never see the member list. */
	members: Person[];
}

/** What a conversation page needs besides the documents, or null when the user may not open it. */
export async function readConversationView(client: Client, userId: string, conversationId: string): Promise<ConversationView | null> {
	const facts = await readConversationFacts(client, userId, conversationId);
	const grant = computeAccess(facts);
	if (grant.role === 'none' || !facts.conversation) return null;
	const [conv, participants, members] = await client.batch(
		[
			{
				sql: 'SELECT c.id, c.subject, c.kind, c.org_id, o.name AS org_name, o.inbox_address FROM conversations c JOIN organizations o ON o.id = c.org_id WHERE c.id = ?',
				args: [conversationId]
			},
			{
				sql: `SELECT u.id, u.name, p.role FROM conversation_participants p JOIN users u ON u.id = p.user_id
				      WHERE p.conversation_id = ? ORDER BY p.added_at`,
				args: [conversationId]
			},
			{
				sql: `SELECT u.id, u.name FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = ? ORDER BY u.name`,
				args: [facts.conversation.orgId]
			}
		],
		'read'
	);
	const c = conv.rows[0];
	const people = participants.rows.map((r) => ({ id: String(r.id), name: String(r.name), role: r.role as 'member' | 'guest' }));
	const memberList = grant.role === 'member' ? members.rows.map((r) => ({ id: String(r.id), name: String(r.name) })) : [];
	const byId = new Map<string, Person>();
	for (const p of people) byId.set(p.id, { id: p.id, name: p.name });
	if (grant.actions.mention === 'organization') for (const m of memberList) byId.set(m.id, m);
	const mentionable = grant.actions.mention === 'none' ? [] : [...byId.values()].filter((p) => p.id !== userId);
	return {
		conversation: { id: String(c.id), subject: String(c.subject), kind: c.kind as 'email' | 'channel', orgId: String(c.org_id), orgName: String(c.org_name), inboxAddress: grant.role === 'member' && c.inbox_address ? String(c.inbox_address) : null },
		grant,
		participants: people,
		mentionable,
		members: memberList
	};
}

/** The organization's name, for events and mail. */
export async function readOrgName(database: Database, orgId: string): Promise<string | null> {
	const [row] = await database.db.select({ name: organizations.name }).from(organizations).where(eq(organizations.id, orgId));
	return row?.name ?? null;
}

/**
 * Authors of the conversation's chat who no longer take part: guests who were removed (members are
 * never removed from their organization's conversations, and a removed guest's participant row is
 * deleted). Their messages keep their name, marked "former guest", instead of being credited to the
 * team. Only authors of messages in the chat are named, so no one else's name is revealed.
 */
export async function readFormerGuests(app: Pick<App, 'client' | 'relay'>, conversationId: string): Promise<Person[]> {
	const ydoc = new Y.Doc();
	Y.applyUpdate(ydoc, await app.relay.readState(conversationDoc(conversationId, 'chat')));
	const authors = new Set<string>();
	for (const value of ydoc.getMap<{ authorId?: unknown }>('messages').values()) if (typeof value?.authorId === 'string') authors.add(value.authorId);
	ydoc.destroy();
	if (authors.size === 0) return [];
	const ids = [...authors];
	const result = await app.client.execute({
		sql: `SELECT u.id, u.name FROM users u JOIN conversations c ON c.id = ?
		      WHERE u.id IN (${ids.map(() => '?').join(', ')})
		        AND u.id NOT IN (SELECT user_id FROM memberships WHERE org_id = c.org_id)
		        AND u.id NOT IN (SELECT user_id FROM conversation_participants WHERE conversation_id = c.id)
		      ORDER BY u.name`,
		args: [conversationId, ...ids]
	});
	return result.rows.map((r) => ({ id: String(r.id), name: String(r.name) }));
}
