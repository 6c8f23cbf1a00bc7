// Recipient lists typed by a person ("Dana <dana@example.com>, ops@example.com"): parsed the same way
// in the composer (to show a mistake before sending) and on the server (which decides). Pure.

export interface EmailAddress {
	name: string;
	address: string;
}

/** Most recipients one field may hold (SMTP servers commonly refuse beyond 100 in total). */
export const MAX_RECIPIENTS = 50;

// deliberately plain: one @, no spaces or angle brackets, a dotted domain; what real mail servers take
const addressPattern = /^[^\s@<>(),;:"\[\]\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

export function isEmailAddress(value: string): boolean {
	return value.length <= 254 && addressPattern.test(value);
}

export type ParsedAddresses = { ok: true; addresses: EmailAddress[] } | { ok: false; message: string };

/** Splits on commas and semicolons outside quotes, so `"Doe, Jane" <j@x.com>` stays one entry. */
function splitEntries(input: string): string[] {
	const entries: string[] = [];
	let current = '';
	let quoted = false;
	for (const ch of input) {
		if (ch === '"') quoted = !quoted;
		if (!quoted && (ch === ',' || ch === ';' || ch === '\n')) {
			entries.push(current);
			current = '';
		} else current += ch;
	}
	entries.push(current);
	return entries.map((e) => e.trim()).filter(Boolean);
}

function parseEntry(entry: string): EmailAddress | null {
	const angled = /^(.*)<([^<>]+)>$/.exec(entry);
	const name = angled ? angled[1].trim().replace(/^"(.*)"$/, '$1').trim() : '';
	const address = (angled ? angled[2] : entry).trim();
	if (!isEmailAddress(address) || /[\r\n]/.test(name) || name.length > 200) return null;
	return { name, address };
}

/**
 * Parses a recipient field. Duplicates (by address, any case) are dropped; an entry that is not an
 * address makes the whole field wrong, with the entry named, so nothing is sent to half a list.
 */
export function parseAddressList(input: string, field = 'To'): ParsedAddresses {
	if (input.length > 20_000) return { ok: false, message: `${field} is too long.` };
	const addresses: EmailAddress[] = [];
	const seen = new Set<string>();
	for (const entry of splitEntries(input)) {
		const parsed = parseEntry(entry);
		if (!parsed) return { ok: false, message: `${field}: “${entry.slice(0, 80)}” is not an email address.` };
		const key = parsed.address.toLowerCase();
		if (seen.has(key)) continue;
		seen.add(key);
		addresses.push(parsed);
	}
	if (addresses.length > MAX_RECIPIENTS) return { ok: false, message: `${field} may hold at most ${MAX_RECIPIENTS} addresses.` };
	return { ok: true, addresses };
}

/** The field text for a list, as `parseAddressList` reads it back. */
export function formatAddressList(list: EmailAddress[]): string {
	return list.map((a) => (a.name ? `"${a.name.replace(/"/g, '')}" <${a.address}>` : a.address)).join(', ');
}

/** `list` without `remove` (by address, any case): the organization's own inbox never gets a copy. */
export function withoutAddresses(list: EmailAddress[], remove: string[]): EmailAddress[] {
	const drop = new Set(remove.map((a) => a.toLowerCase()));
	return list.filter((a) => !drop.has(a.address.toLowerCase()));
}
