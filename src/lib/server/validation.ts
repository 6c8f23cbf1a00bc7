// Form input parsing: every field has a size limit, and a bad value gets a message a person can act on.

/** Upper bounds on every field a visitor can send; oversized input is refused, never truncated. */
export const Limits = {
	name: 100,
	email: 254, // RFC 5321 path limit
	passwordMin: 8,
	passwordMax: 256, // argon2 accepts more, but hashing megabytes is a cheap denial of service
	orgName: 80,
	token: 100
} as const;
export type Limits = typeof Limits;

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = (message: string): Parsed<never> => ({ ok: false, message });

function asString(value: FormDataEntryValue | null | undefined): string | null {
	return typeof value === 'string' ? value : null;
}

/** An email address, trimmed and lower-cased (the users table stores it lower-cased). */
export function parseEmail(raw: FormDataEntryValue | null | undefined): Parsed<string> {
	const value = asString(raw)?.trim().toLowerCase() ?? '';
	if (!value) return bad('Enter your email address.');
	if (value.length > Limits.email) return bad(`An email address has at most ${Limits.email} characters.`);
	// deliberately loose: one @, something on each side, a dot in the domain, no spaces or angle brackets
	if (!/^[^\s@<>()",;]+@[^\s@<>()",;]+\.[^\s@<>()",;]+$/.test(value)) return bad('That does not look like an email address.');
	return ok(value);
}

/** A person's display name. */
export function parseName(raw: FormDataEntryValue | null | undefined): Parsed<string> {
	const value = (asString(raw) ?? '').trim().replace(/\s+/g, ' ');
	if (!value) return bad('Enter your name.');
	if (value.length > Limits.name) return bad(`A name has at most ${Limits.name} characters.`);
	if (/[\u0000-\u001f\u007f]/.test(value)) return bad('A name cannot contain control characters.');
	return ok(value);
}

/** A new password (sign-up): length only; spaces and any characters are allowed. */
export function parseNewPassword(raw: FormDataEntryValue | null | undefined): Parsed<string> {
	const value = asString(raw) ?? '';
	if (value.length < Limits.passwordMin) return bad(`Use at least ${Limits.passwordMin} characters for your password.`);
	if (value.length > Limits.passwordMax) return bad(`A password has at most ${Limits.passwordMax} characters.`);
	return ok(value);
}

/** A password typed to sign in: only presence and the size cap are checked here. */
export function parsePassword(raw: FormDataEntryValue | null | undefined): Parsed<string> {
	const value = asString(raw) ?? '';
	if (!value) return bad('Enter your password.');
	if (value.length > Limits.passwordMax) return bad(`A password has at most ${Limits.passwordMax} characters.`);
	return ok(value);
}

/** An organization's name. */
export function parseOrgName(raw: FormDataEntryValue | null | undefined): Parsed<string> {
	const value = (asString(raw) ?? '').trim().replace(/\s+/g, ' ');
	if (!value) return bad('Enter a name for the organization.');
	if (value.length > Limits.orgName) return bad(`An organization name has at most ${Limits.orgName} characters.`);
	if (/[\u0000-\u001f\u007f]/.test(value)) return bad('A name cannot contain control characters.');
	return ok(value);
}

/** An emailed token (sign-in link, invitation); its shape only, the database decides the rest. */
export function parseToken(raw: FormDataEntryValue | null | undefined): Parsed<string> {
	const value = asString(raw) ?? '';
	if (!value || value.length > Limits.token || !/^[a-z2-7]+$/.test(value)) return bad('This link is not valid. Ask for a new one.');
	return ok(value);
}

/** A member role someone may be invited as. */
export function parseInviteRole(raw: FormDataEntryValue | null | undefined): Parsed<'admin' | 'member'> {
	const value = asString(raw) ?? 'member';
	if (value === 'admin' || value === 'member') return ok(value);
	return bad('Choose a role: admin or member.');
}

/** A same-site path to go to after signing in; anything else (other sites, `//evil`) becomes `/`. */
export function parseRedirect(raw: FormDataEntryValue | string | null | undefined): string {
	const value = typeof raw === 'string' ? raw : '';
	if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\') || value.length > 500) return '/';
	return value;
}
