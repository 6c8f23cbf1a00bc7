// Triage: the one place a conversation's status (open / closed / snoozed) changes, and the
// scheduler that wakes snoozed conversations. Status is team-wide and members-only: it is written
// into members' inbox entries and never into a guest's.
import type { App, Waker } from './app-types.ts';
import { readConversationFacts, readConversationFactsForUsers } from './access-facts.ts';
import { conversationDoc, userDoc } from '../shared/doc-names.ts';
import { computeAccess } from '../shared/policy.ts';
import { chatKey, createId, type HistoryEvent, type InboxEntry } from '../shared/records.ts';
import { SYSTEM_ACTOR } from '../shared/write-validator.ts';
import { isSnoozeDue, parseStatusRequest, statusAfterActivity, type ConversationStatus, type StatusState } from '../shared/status-rules.ts';

/** Why a status changed: a person's choice, or the system (new inbound mail, a reply, a snooze that came due). */
export type StatusReason = 'user' | 'inbound' | 'reply' | 'wake';

export interface StatusChange {
	conversationId: string;
	/** The member who changes it; null for system changes (reason other than 'user'), which skip the grant. */
	actorId: string | null;
	status: unknown;
	snoozeUntil?: unknown;
	unlessReply?: unknown;
	reason?: StatusReason;
}

export type StatusResult =
	| { ok: true; changed: boolean; previous: StatusState; state: StatusState }
	| { ok: false; status: 400 | 403 | 404; message: string };

/**
 * Sets a conversation's triage status. Every status change goes through here — the UI's close,
 * reopen and snooze, inbound mail reopening a closed conversation, replies ending an "unless
 * someone replies" snooze, and the scheduler's wake-ups — so history events (who, when, what) can
 * be recorded in this one place from `previous`, `state`, `actorId` and `reason`.
 * A person's change needs the `changeStatus` action of `computeAccess` (members only).
 */
export async function setConversationStatus(database: App, change: StatusChange): Promise<StatusResult> {
	const now = Date.now();
	const reason = change.reason ?? 'user';
	if (reason === 'user') {
		if (!change.actorId) return { ok: false, status: 403, message: 'Sign in to change a conversation.' };
		const grant = computeAccess(await readConversationFacts(database.client, change.actorId, change.conversationId));
		if (grant.role === 'none') return { ok: false, status: 404, message: 'This conversation does not exist or you do not have access to it.' };
		if (!grant.actions.changeStatus) return { ok: false, status: 403, message: "Only members of the organization can close, reopen or snooze a conversation; guests don't see its status." };
	}
	const parsed = parseStatusRequest(change, now);
	if (!parsed.ok) return { ok: false, status: 400, message: parsed.message };
	const previous = await readStatus(database, change.conversationId);
	if (!previous) return { ok: false, status: 404, message: 'This conversation does not exist or you do not have access to it.' };
	const state = parsed.state;
	const changed = previous.status !== state.status || previous.snoozeUntil !== state.snoozeUntil || previous.snoozeUnlessReply !== state.snoozeUnlessReply;
	if (!changed) return { ok: true, changed, previous, state };
	await database.client.execute({
		sql: 'UPDATE conversations SET status = ?, snooze_until = ?, snooze_unless_reply = ? WHERE id = ?',
		args: [state.status, state.snoozeUntil, state.snoozeUnlessReply ? 1 : 0, change.conversationId]
	});
	await writeStatusToInboxes(database, change.conversationId, state);
	await recordStatusHistory(database, change.conversationId, state, reason === 'user' ? change.actorId : null, reason, now);
	if (state.status === 'snoozed') scheduleSnoozeWakeups(database);
	return { ok: true, changed, previous, state };
}

/** The timeline's "closed / reopened / snoozed" event, in the members-only `internal` lane (status is never shown to guests). */
async function recordStatusHistory(database: App, conversationId: string, state: StatusState, actorId: string | null, reason: StatusReason, now: number): Promise<void> {
	const actor = actorId ?? SYSTEM_ACTOR;
	const key = chatKey(actor, createId(now));
	const type: HistoryEvent['type'] = state.status === 'closed' ? 'closed' : state.status === 'snoozed' ? 'snoozed' : 'reopened';
	const event: HistoryEvent = { id: key, type, actorId: actor, at: now };
	if (state.status === 'snoozed' && state.snoozeUntil !== null) event.until = state.snoozeUntil;
	if (reason !== 'user') event.reason = reason;
	await database.relay.serverEdit(conversationDoc(conversationId, 'internal'), (ydoc) => ydoc.getMap('history').set(key, event));
}

/** Applies what new activity does to the status (inbound mail reopens; replies end "unless someone replies" snoozes). */
export async function applyActivityToStatus(database: App, conversationId: string, activity: 'inbound' | 'reply'): Promise<void> {
	const current = await readStatus(database, conversationId);
	if (!current) return;
	const next = statusAfterActivity(current, activity);
	if (next) await setConversationStatus(database, { conversationId, actorId: null, status: next, reason: activity });
}

async function readStatus(database: App, conversationId: string): Promise<StatusState | null> {
	const result = await database.client.execute({ sql: 'SELECT status, snooze_until, snooze_unless_reply FROM conversations WHERE id = ?', args: [conversationId] });
	const row = result.rows[0];
	if (!row) return null;
	return {
		status: String(row.status) as ConversationStatus,
		snoozeUntil: row.snooze_until === null ? null : Number(row.snooze_until),
		snoozeUnlessReply: Boolean(Number(row.snooze_unless_reply))
	};
}

/**
 * Updates the entry of every member whose inbox is open right now (others get the stored row from
 * `syncInbox` when they next load). Guests' entries are never given a status.
 */
async function writeStatusToInboxes(database: App, conversationId: string, state: StatusState): Promise<void> {
	const relay = database.relay;
	const people = await database.client.execute({
		sql: `SELECT user_id FROM memberships WHERE org_id = (SELECT org_id FROM conversations WHERE id = ?)`,
		args: [conversationId]
	});
	const ids = people.rows.map((r) => String(r.user_id)).filter((userId) => relay.hasSubscribers(userDoc(userId, 'inbox')));
	const facts = await readConversationFactsForUsers(database.client, conversationId, ids);
	for (const userId of ids) {
		if (computeAccess(facts.get(userId)!).role !== 'member') continue;
		await relay.serverEdit(userDoc(userId, 'inbox'), (ydoc) => {
			const map = ydoc.getMap<InboxEntry>('conversations');
			const current = map.get(conversationId);
			if (!current) return;
			const next: InboxEntry = { ...current, status: state.status };
			if (state.snoozeUntil !== null) next.snoozeUntil = state.snoozeUntil;
			else delete next.snoozeUntil;
			map.set(conversationId, next);
		});
	}
}

// The wake-up scheduler: one timer per database, armed for the earliest stored snooze_until, so
// snoozes fire on time with nobody online and survive a restart (the times are in the database;
// `scheduleSnoozeWakeups` at start fires the ones that came due while the server was down).
export function createWaker(): Waker {
	return { timer: null, running: false, again: false, stopped: false };
}
/** Re-scan at least this often, so a timer lost to a clock jump cannot leave a snooze asleep. */
const RESCAN_MS = 10 * 60 * 1000;

/** Arms (or re-arms) the app's wake-up timer for its earliest snooze. */
export function scheduleSnoozeWakeups(database: App): void {
	const waker = database.waker;
	waker.stopped = false;
	if (waker.running) {
		waker.again = true;
		return;
	}
	if (waker.timer) clearTimeout(waker.timer);
	waker.timer = null;
	const w = waker;
	void wakeDue(database, w);
}

async function wakeDue(database: App, waker: Waker): Promise<void> {
	waker.running = true;
	waker.again = false;
	let next: number | null = null;
	try {
		const now = Date.now();
		const due = await database.client.execute({
			sql: `SELECT id, status, snooze_until, snooze_unless_reply FROM conversations WHERE status = 'snoozed' AND snooze_until <= ?`,
			args: [now]
		});
		for (const row of due.rows) {
			const state: StatusState = { status: 'snoozed', snoozeUntil: Number(row.snooze_until), snoozeUnlessReply: Boolean(Number(row.snooze_unless_reply)) };
			if (!isSnoozeDue(state, now)) continue;
			await setConversationStatus(database, { conversationId: String(row.id), actorId: null, status: 'open', reason: 'wake' });
		}
		const upcoming = await database.client.execute(`SELECT MIN(snooze_until) AS at FROM conversations WHERE status = 'snoozed'`);
		const at = upcoming.rows[0]?.at;
		next = at === null || at === undefined ? null : Number(at);
	} catch (error) {
		console.error(`[snooze] waking snoozed conversations failed: ${error instanceof Error ? error.message : String(error)}`);
		next = Date.now() + 5000;
	}
	waker.running = false;
	if (waker.stopped) return; // stopped meanwhile
	if (waker.again) return scheduleSnoozeWakeups(database);
	const delay = next === null ? RESCAN_MS : Math.min(RESCAN_MS, Math.max(0, next - Date.now()) + 5);
	waker.timer = setTimeout(() => void wakeDue(database, waker), delay);
	waker.timer.unref();
}

/** Stops the app's wake-up timer (shutdown, tests); stored snoozes fire on the next start. */
export function stopSnoozeWakeups(database: App): void {
	const waker = database.waker;
	if (waker.timer) clearTimeout(waker.timer);
	waker.timer = null;
	waker.stopped = true;
}
