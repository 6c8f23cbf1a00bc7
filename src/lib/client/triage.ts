import type { AppClient } from './app-client.svelte.ts';
import { setRecord } from '../shared/records.ts';

// Sends a triage change (close, reopen, snooze) to the server, which checks the grant and updates
// everyone's inbox entries live. Online only: the team-wide status is decided by the server.
export interface StatusBody {
	status: 'open' | 'closed' | 'snoozed';
	snoozeUntil?: number;
	unlessReply?: boolean;
}

export async function postStatus(conversationId: string, body: StatusBody): Promise<{ ok: true } | { ok: false; message: string }> {
	try {
		const res = await fetch(`/c/${encodeURIComponent(conversationId)}/status`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(body)
		});
		if (res.ok) return { ok: true };
		const data = (await res.json().catch(() => ({}))) as { message?: string };
		return { ok: false, message: data.message ?? `Could not change the status (${res.status}).` };
	} catch {
		return { ok: false, message: 'You are offline: closing and snoozing need a connection.' };
	}
}

/**
 * Marks a conversation unread for this user only: its read marker (in `u/<id>/private`) is moved
 * to just before its latest activity. Works offline (a local write, synced later).
 */
export function markUnread(client: AppClient, conversationId: string): boolean {
	const entry = client.inbox.get(conversationId);
	const doc = client.provider.getDoc(`u/${client.userId}/private`);
	if (!entry || !doc) return false;
	setRecord(doc, 'private', 'reads', conversationId, { conversationId, lastReadAt: Math.max(0, entry.lastActivityAt - 1) });
	return true;
}
