// Dates as people read them in an inbox: time today, weekday this week, date otherwise.

const time = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const weekday = new Intl.DateTimeFormat(undefined, { weekday: 'short' });
const date = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const full = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A short label for a list: "14:05", "Tue", "Mar 3". */
export function formatRelative(at: number, now: number = Date.now()): string {
	const d = new Date(at);
	const n = new Date(now);
	if (d.toDateString() === n.toDateString()) return time.format(d);
	if (now - at < 6 * 24 * 3600 * 1000 && now >= at) return weekday.format(d);
	return date.format(d);
}

/** Date and time in full, for a message header. */
export function formatFull(at: number): string {
	return full.format(at);
}

/** A due date (YYYY-MM-DD) as "Mar 3", with whether it is past. */
export function formatDue(due: string, now: number = Date.now()): { label: string; overdue: boolean } {
	const [y, m, d] = due.split('-').map(Number);
	const at = new Date(y, m - 1, d);
	const today = new Date(now);
	today.setHours(0, 0, 0, 0);
	return { label: date.format(at), overdue: at < today };
}

/** Initials for an avatar. */
export function initials(name: string): string {
	return name
		.split(/\s+/)
		.filter(Boolean)
		.map((p) => p[0])
		.slice(0, 2)
		.join('')
		.toUpperCase();
}
