// Notifications (DESIGN.md §7): per user and per conversation (all / mentions / none), an in-app list,
// and email batched per conversation and recipient after a quiet period. Every recipient is checked
// against the policy when the notification is made and again when it is mailed.
import type { Client } from '@libsql/client';
import { and, desc, eq, inArray, isNull } from 'drizzle-orm';
import * as Y from 'yjs';
import type { App, Mailer } from './app-types.ts';
import { conversationParticipants, conversations, memberships, notificationSettings, notifications, organizations, users } from './db/schema.ts';
import { readConversationFactsForUsers, readConversationGrant } from './access-facts.ts';
import { readConfig } from './config.ts';
import { sendMail } from './mail/index.ts';
import { conversationDoc } from '../shared/doc-names.ts';
import { createId } from '../shared/records.ts';
import { computeAccess, type Role } from '../shared/policy.ts';
import { toMailText } from '../client/rich-text.ts';

/** How much of a conversation a person is notified about. */
export const NotificationLevel = { All: 'all', Mentions: 'mentions', None: 'none' } as const;
export type NotificationLevel = (typeof NotificationLevel)[keyof typeof NotificationLevel];

export function isNotificationLevel(value: unknown): value is NotificationLevel {
	return value === 'all' || value === 'mentions' || value === 'none';
}

/** What decides a person's level in one conversation. */
export interface LevelFacts {
	role: Role;
	/** The person's setting for this conversation, if any. */
	conversationLevel: NotificationLevel | null;
	/** The person's own default, if they chose one. */
	defaultLevel: NotificationLevel | null;
	/** Assigned to the conversation (members only). */
	isAssigned: boolean;
}

/**
 * The level in force: the conversation's setting, else the person's default, else what people expect —
 * members follow what they are assigned to (and their mentions), guests all activity of their conversations.
 */
export function computeNotificationLevel(facts: LevelFacts): NotificationLevel {
	if (facts.role === 'none') return NotificationLevel.None;
	if (facts.conversationLevel) return facts.conversationLevel;
	if (facts.defaultLevel) return facts.defaultLevel;
	if (facts.role === 'guest') return NotificationLevel.All;
	return facts.isAssigned ? NotificationLevel.All : NotificationLevel.Mentions;
}

/** The quiet period before a batch of notifications is mailed (NOTIFY_QUIET_MS, 60 s by default). */
export function readQuietMs(env: NodeJS.ProcessEnv = process.env): number {
	const value = Number(env.NOTIFY_QUIET_MS);
	return Number.isFinite(value) && value >= 0 && env.NOTIFY_QUIET_MS !== '' && env.NOTIFY_QUIET_MS !== undefined ? value : 60_000;
}

/** A user's own settings: their default ('' key) and per-conversation levels. */
export async function readNotificationSettings(database: App, userId: string): Promise<Map<string, NotificationLevel>> {
	const rows = await database.db.select().from(notificationSettings).where(eq(notificationSettings.userId, userId));
	return new Map(rows.map((r) => [r.conversationId, r.level]));
}

/** Sets (or with null, clears back to the default) a user's level for a conversation or ('') their default. */
export async function writeNotificationSetting(database: App, userId: string, conversationId: string, level: NotificationLevel | null): Promise<void> {
	const { db } = database;
	if (level === null) {
		await db.delete(notificationSettings).where(and(eq(notificationSettings.userId, userId), eq(notificationSettings.conversationId, conversationId)));
		return;
	}
	await db
		.insert(notificationSettings)
		.values({ userId, conversationId, level })
		.onConflictDoUpdate({ target: [notificationSettings.userId, notificationSettings.conversationId], set: { level } });
}

/** How long a conversation's assignees are trusted without a write to its internal document. */
const ASSIGNEES_TTL_MS = 60_000;

/**
 * The conversation's assignees, from its internal document (members only ever). Every chat message
 * needs them (activity notifications), so they are kept per conversation and dropped when the
 * internal document takes a client's write (`forgetAssignees`); the TTL bounds how long a change
 * made any other way (a server edit) could go unseen.
 */
async function readAssignees(database: App, conversationId: string): Promise<Set<string>> {
	const cached = database.assignees.get(conversationId);
	if (cached && Date.now() - cached.at < ASSIGNEES_TTL_MS) return cached.ids;
	// a guid given: Yjs' default draws a uuid, ~30 crypto calls, on every read (11 % of the relay's
	// CPU on the many-conversations bench before this cache)
	const ydoc = new Y.Doc({ guid: conversationId });
	Y.applyUpdate(ydoc, await database.relay.readState(conversationDoc(conversationId, 'internal')));
	const ids = new Set([...ydoc.getMap('assignees').keys()]);
	ydoc.destroy();
	if (database.assignees.size > 10_000) database.assignees.clear();
	database.assignees.set(conversationId, { at: Date.now(), ids });
	return ids;
}

/** After a write to a conversation's internal document: its assignees are read again next time. */
export function forgetAssignees(database: App, conversationId: string): void {
	database.assignees.delete(conversationId);
}

/** The level in force for a user in a conversation, from their settings, role and assignment. */
export async function readNotificationLevel(database: App, userId: string, conversationId: string, assignees?: Set<string>): Promise<NotificationLevel> {
	const grant = await readConversationGrant(database.client, userId, conversationId);
	if (grant.role === 'none') return NotificationLevel.None;
	const settings = await database.db
		.select()
		.from(notificationSettings)
		.where(and(eq(notificationSettings.userId, userId), inArray(notificationSettings.conversationId, [conversationId, ''])));
	const level = (key: string) => settings.find((s) => s.conversationId === key)?.level ?? null;
	const assigned = grant.role === 'member' && (assignees ?? (await readAssignees(database, conversationId))).has(userId);
	return computeNotificationLevel({ role: grant.role, conversationLevel: level(conversationId), defaultLevel: level(''), isAssigned: assigned });
}

export type NotificationKind = 'mention' | 'activity' | 'assigned';

/**
 * Notifies who follows all activity of a conversation (participants, assignees, members who chose "all"),
 * except the author and `skip` (already notified of this event otherwise).
 */
export async function recordActivity(
	database: App,
	event: { conversationId: string; actorId: string | null; text: string; skip?: Iterable<string> }
): Promise<string[]> {
	const { client } = database;
	const candidates = await client.execute({
		sql: `SELECT user_id FROM conversation_participants WHERE conversation_id = ?
		      UNION SELECT s.user_id FROM notification_settings s
		        JOIN memberships m ON m.user_id = s.user_id AND m.org_id = (SELECT org_id FROM conversations WHERE id = ?)
		        WHERE s.level = 'all' AND s.conversation_id IN (?, '')`,
		args: [event.conversationId, event.conversationId, event.conversationId]
	});
	const assignees = await readAssignees(database, event.conversationId);
	const skip = new Set(event.skip ?? []);
	const ids = [...new Set([...candidates.rows.map((r) => String(r.user_id)), ...assignees])].filter(
		(userId) => userId !== event.actorId && !skip.has(userId)
	);
	// levels for everyone at once: a conversation with hundreds of people costs a few queries, not hundreds
	const notified: string[] = [];
	for (let i = 0; i < ids.length; i += 400) {
		const chunk = ids.slice(i, i + 400);
		const facts = await readConversationFactsForUsers(database.client, event.conversationId, chunk);
		const settings = await database.db
			.select()
			.from(notificationSettings)
			.where(and(inArray(notificationSettings.userId, chunk), inArray(notificationSettings.conversationId, [event.conversationId, ''])));
		const level = (userId: string, key: string) => settings.find((s) => s.userId === userId && s.conversationId === key)?.level ?? null;
		for (const userId of chunk) {
			const role = computeAccess(facts.get(userId)!).role;
			const wanted = computeNotificationLevel({
				role,
				conversationLevel: level(userId, event.conversationId),
				defaultLevel: level(userId, ''),
				isAssigned: role === 'member' && assignees.has(userId)
			});
			if (wanted === NotificationLevel.All) notified.push(userId);
		}
	}
	await insertNotifications(
		database,
		notified.map((userId) => ({ userId, conversationId: event.conversationId, kind: 'activity' as const, actorId: event.actorId, text: event.text }))
	);
	return notified;
}

/** Notifies one person (mention, assignment) unless their level for the conversation is none; `id` makes it idempotent. */
export async function recordPersonalNotification(
	database: App,
	n: { id?: string; userId: string; conversationId: string; kind: 'mention' | 'assigned'; actorId: string | null; text: string }
): Promise<boolean> {
	if (n.userId === n.actorId) return false;
	if ((await readNotificationLevel(database, n.userId, n.conversationId)) === NotificationLevel.None) return false;
	return insertNotification(database, n);
}

/** Inserts many notifications in one statement per 200 rows. */
async function insertNotifications(
	database: App,
	list: Array<{ userId: string; conversationId: string; kind: NotificationKind; actorId: string | null; text: string }>
): Promise<void> {
	if (list.length === 0) return;
	const now = Date.now();
	for (let i = 0; i < list.length; i += 200) {
		await database.db
			.insert(notifications)
			.values(list.slice(i, i + 200).map((n) => ({ id: createId(now), userId: n.userId, conversationId: n.conversationId, kind: n.kind, actorId: n.actorId, text: n.text.slice(0, 500), createdAt: now })))
			.onConflictDoNothing();
	}
	scheduleNotificationEmails(database);
}

async function insertNotification(
	database: App,
	n: { id?: string; userId: string; conversationId: string; kind: NotificationKind; actorId: string | null; text: string }
): Promise<boolean> {
	const now = Date.now();
	const rows = await database.db
		.insert(notifications)
		.values({ id: n.id ?? createId(now), userId: n.userId, conversationId: n.conversationId, kind: n.kind, actorId: n.actorId, text: n.text.slice(0, 500), createdAt: now })
		.onConflictDoNothing()
		.returning({ id: notifications.id });
	if (rows.length > 0) scheduleNotificationEmails(database);
	return rows.length > 0;
}

export interface NotificationItem {
	id: string;
	conversationId: string;
	subject: string;
	kind: NotificationKind | 'invited';
	text: string;
	createdAt: number;
	readAt: number | null;
}

/** A user's in-app notifications, newest first, only of conversations they can still open. */
export async function listNotifications(database: App, userId: string, limit = 100, options: { unreadOnly?: boolean } = {}): Promise<NotificationItem[]> {
	const rows = await database.db
		.select({
			id: notifications.id,
			conversationId: notifications.conversationId,
			subject: conversations.subject,
			kind: notifications.kind,
			text: notifications.text,
			createdAt: notifications.createdAt,
			readAt: notifications.readAt
		})
		.from(notifications)
		.innerJoin(conversations, eq(conversations.id, notifications.conversationId))
		.where(options.unreadOnly ? and(eq(notifications.userId, userId), isNull(notifications.readAt)) : eq(notifications.userId, userId))
		.orderBy(desc(notifications.createdAt))
		.limit(limit);
	const out: NotificationItem[] = [];
	const roles = new Map<string, Role>();
	for (const row of rows) {
		if (!roles.has(row.conversationId)) roles.set(row.conversationId, (await readConversationGrant(database.client, userId, row.conversationId)).role);
		const role = roles.get(row.conversationId)!;
		if (role === 'none' || (role === 'guest' && row.kind === 'assigned')) continue;
		out.push(row);
	}
	return out;
}

/** How many of a user's notifications are unread (the menu's count), by the same rules as the list; at most 100. */
export async function countUnreadNotifications(database: App, userId: string): Promise<number> {
	return (await listNotifications(database, userId, 100, { unreadOnly: true })).length;
}

/** Marks a user's notifications read (all of them, or those of one conversation). */
export async function markNotificationsRead(database: App, userId: string, conversationId?: string): Promise<void> {
	const where = conversationId
		? and(eq(notifications.userId, userId), eq(notifications.conversationId, conversationId), isNull(notifications.readAt))
		: and(eq(notifications.userId, userId), isNull(notifications.readAt));
	await database.db.update(notifications).set({ readAt: Date.now() }).where(where);
}

/**
 * Marks a user's notifications of a conversation read once she opened it (her read marker reached
 * the conversation's latest activity). "Mark unread" moves the marker just before that activity,
 * which leaves them as they are.
 */
export async function markNotificationsSeen(database: App, userId: string, conversationId: string, lastReadAt: number): Promise<void> {
	await database.client.execute({
		sql: `UPDATE notifications SET read_at = ? WHERE user_id = ? AND conversation_id = ? AND read_at IS NULL
		        AND ? >= (SELECT last_activity_at FROM conversations WHERE id = ?)`,
		args: [Date.now(), userId, conversationId, lastReadAt, conversationId]
	});
}

// ---- email batching ---------------------------------------------------------------------------

/** The public origin for links in mail: ORIGIN, else localhost on the configured port. */
function mailOrigin(): string {
	const config = readConfig();
	return config.origin ?? `http://localhost:${config.port}`;
}

/** What one batch email says. Guests' mail is built from the same fields: only text the guest can read in the conversation. */
export function composeNotificationEmail(input: {
	orgName: string;
	subject: string;
	conversationId: string;
	items: Array<{ text: string }>;
	origin: string;
}): { subject: string; text: string } {
	const link = `${input.origin}/c/${input.conversationId}`;
	// chat text is Markdown-ish; mail is plain text, so its marks are stripped (`**ship**` → ship)
	const lines = input.items.map((item) => `- ${toMailText(item.text)}`);
	return {
		subject: `[${input.orgName}] ${input.subject}`,
		text: [
			`New in "${input.subject}" (${input.orgName}):`,
			'',
			...lines,
			'',
			`Open the conversation: ${link}`,
			'',
			`You get these emails because of your notification settings: ${input.origin}/settings/notifications`
		].join('\n')
	};
}

/**
 * Mails every batch whose newest notification is older than the quiet period: one email per
 * conversation and recipient. Rows are claimed (emailedAt) before sending, so a batch goes out once.
 */
export async function flushNotificationEmails(database: App, options: { now?: number; quietMs?: number; origin?: string } = {}): Promise<number> {
	const now = options.now ?? Date.now();
	const quietMs = options.quietMs ?? readQuietMs();
	const { client, db } = database;
	const groups = await client.execute({
		sql: `SELECT user_id, conversation_id FROM notifications WHERE emailed_at IS NULL
		      GROUP BY user_id, conversation_id HAVING MAX(created_at) <= ?`,
		args: [now - quietMs]
	});
	let sent = 0;
	for (const group of groups.rows) {
		const userId = String(group.user_id);
		const conversationId = String(group.conversation_id);
		const claimed = await db
			.update(notifications)
			.set({ emailedAt: now })
			.where(and(eq(notifications.userId, userId), eq(notifications.conversationId, conversationId), isNull(notifications.emailedAt)))
			.returning({ kind: notifications.kind, text: notifications.text, createdAt: notifications.createdAt });
		if (claimed.length === 0) continue;
		if (await sendBatch(database, client, userId, conversationId, claimed, options.origin ?? mailOrigin())) sent++;
	}
	return sent;
}

async function sendBatch(
	database: App,
	client: Client,
	userId: string,
	conversationId: string,
	claimed: Array<{ kind: string; text: string; createdAt: number }>,
	origin: string
): Promise<boolean> {
	const grant = await readConversationGrant(client, userId, conversationId);
	if (grant.role === 'none') return false;
	if ((await readNotificationLevel(database, userId, conversationId)) === NotificationLevel.None) return false;
	// guests never hear about internal assignment, whatever was recorded
	const items = claimed.filter((n) => grant.role === 'member' || n.kind === 'mention' || n.kind === 'activity').sort((a, b) => a.createdAt - b.createdAt);
	if (items.length === 0) return false;
	const [row] = await database.db
		.select({ email: users.email, subject: conversations.subject, orgName: organizations.name })
		.from(users)
		.innerJoin(conversations, eq(conversations.id, conversationId))
		.innerJoin(organizations, eq(organizations.id, conversations.orgId))
		.where(eq(users.id, userId));
	if (!row) return false;
	const mail = composeNotificationEmail({ orgName: row.orgName, subject: row.subject, conversationId, items, origin });
	await sendMail(database.db, { to: row.email, subject: mail.subject, text: mail.text });
	return true;
}

export function createMailer(): Mailer {
	return { timer: null, running: false, again: false };
}

/** Arms the app's batch mailer: it wakes when the oldest pending batch is due, and sleeps when none is pending. */
export function scheduleNotificationEmails(database: App, delayMs?: number): void {
	const m = database.mailer;
	if (m.running) {
		m.again = true;
		return;
	}
	if (m.timer) clearTimeout(m.timer);
	m.timer = setTimeout(() => void runMailer(database, m), Math.max(0, delayMs ?? readQuietMs()) + 5);
	m.timer.unref();
}

async function runMailer(database: App, mailer: Mailer): Promise<void> {
	mailer.timer = null;
	mailer.running = true;
	mailer.again = false;
	try {
		await flushNotificationEmails(database);
		const next = await database.client.execute(
			'SELECT MAX(created_at) AS newest FROM notifications WHERE emailed_at IS NULL GROUP BY user_id, conversation_id ORDER BY newest LIMIT 1'
		);
		mailer.running = false;
		const newest = next.rows[0]?.newest;
		if (newest !== undefined && newest !== null) scheduleNotificationEmails(database, Number(newest) + readQuietMs() - Date.now());
		else if (mailer.again) scheduleNotificationEmails(database);
	} catch (error) {
		mailer.running = false;
		console.error(`[notifications] mailing failed: ${String(error)}`);
	}
}

/** Stops the app's batch mailer (tests, shutdown); pending rows are mailed on the next start. */
export function stopNotificationEmails(database: App): void {
	const m = database.mailer;
	if (m.timer) clearTimeout(m.timer);
	m.timer = null;
}

/** Adds members to a conversation's participants (a mention brings them in); returns who was added. */
export async function addMemberParticipants(database: App, conversationId: string, userIds: string[]): Promise<string[]> {
	if (userIds.length === 0) return [];
	const rows = await database.db
		.insert(conversationParticipants)
		.values(userIds.map((userId) => ({ conversationId, userId, role: 'member' as const, addedAt: Date.now() })))
		.onConflictDoNothing()
		.returning({ userId: conversationParticipants.userId });
	return rows.map((r) => r.userId);
}

/** Org member ids among `userIds` for the conversation's organization. */
export async function filterOrgMembers(database: App, conversationId: string, userIds: string[]): Promise<Set<string>> {
	if (userIds.length === 0) return new Set();
	const rows = await database.db
		.select({ userId: memberships.userId })
		.from(memberships)
		.innerJoin(conversations, eq(conversations.orgId, memberships.orgId))
		.where(and(eq(conversations.id, conversationId), inArray(memberships.userId, userIds)));
	return new Set(rows.map((r) => r.userId));
}
