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

