// Triage rules, pure: what a status change request means, and what activity does to a status.
// The server (src/lib/server/conversation-status.ts) applies them; the UI uses the presets.

export const ConversationStatus = { Open: 'open', Closed: 'closed', Snoozed: 'snoozed' } as const;
export type ConversationStatus = (typeof ConversationStatus)[keyof typeof ConversationStatus];

/** The longest snooze accepted (a typo in a year must not hide a conversation for a century). */
export const MAX_SNOOZE_MS = 366 * 24 * 3600 * 1000;

export interface StatusRequest {
	status: unknown;
	snoozeUntil?: unknown;
	unlessReply?: unknown;
}
export interface StatusState {
	status: ConversationStatus;
	snoozeUntil: number | null;
	snoozeUnlessReply: boolean;
}

/** Checks a requested change; every bad input gets a message and changes nothing. */
export function parseStatusRequest(input: StatusRequest, now: number): { ok: true; state: StatusState } | { ok: false; message: string } {
	const { status } = input;
	if (status === 'open' || status === 'closed') return { ok: true, state: { status, snoozeUntil: null, snoozeUnlessReply: false } };
	if (status !== 'snoozed') return { ok: false, message: 'Status must be open, closed or snoozed.' };
	const raw = input.snoozeUntil;
	const until = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
	if (!Number.isInteger(until)) return { ok: false, message: 'Choose when the conversation should come back.' };
	if (until <= now) return { ok: false, message: 'Choose a time in the future to snooze until.' };
	if (until - now > MAX_SNOOZE_MS) return { ok: false, message: 'A conversation can be snoozed for at most a year.' };
	return { ok: true, state: { status, snoozeUntil: until, snoozeUnlessReply: input.unlessReply === true || input.unlessReply === 'true' || input.unlessReply === 'on' } };
}

/**
 * What new activity does: an inbound message reopens a closed conversation for everyone and ends a
 * snooze that was "unless someone replies"; a reply (or a chat message) ends only such a snooze.
 * Returns null when the status stays.
 */
export function statusAfterActivity(current: StatusState, activity: 'inbound' | 'reply'): ConversationStatus | null {
	if (current.status === 'closed' && activity === 'inbound') return 'open';
	if (current.status === 'snoozed' && current.snoozeUnlessReply) return 'open';
	return null;
}

/** Whether a snoozed conversation is due to wake. */
export function isSnoozeDue(state: StatusState, now: number): boolean {
	return state.status === 'snoozed' && state.snoozeUntil !== null && state.snoozeUntil <= now;
}

/** The snooze presets in the user's local time: later today (+3 h), tomorrow 08:00, next Monday 08:00. */
export function snoozePresets(now: Date): Array<{ id: 'later' | 'tomorrow' | 'next-week'; label: string; at: number }> {
	const later = new Date(now.getTime() + 3 * 3600 * 1000);
	later.setMinutes(0, 0, 0);
	const tomorrow = new Date(now);
	tomorrow.setDate(now.getDate() + 1);
	tomorrow.setHours(8, 0, 0, 0);
	const nextWeek = new Date(now);
	nextWeek.setDate(now.getDate() + (((8 - now.getDay()) % 7) || 7));
	nextWeek.setHours(8, 0, 0, 0);
	return [
		{ id: 'later', label: 'Later today', at: later.getTime() },
		{ id: 'tomorrow', label: 'Tomorrow', at: tomorrow.getTime() },
		{ id: 'next-week', label: 'Next week', at: nextWeek.getTime() }
	];
}
