// An organization's inbox address: the one address mail for it arrives at (SMTP listener, and the
// threading of replies). Every organization gets one when it is created, so "Email in" works from
// the first minute; owners may change it later. Addresses are stored lower-cased, so the unique
// index on organizations.inbox_address is a case-insensitive uniqueness.
import { and, eq, ne, sql } from 'drizzle-orm';
import type { Db } from './db/index.ts';
import { organizations } from './db/schema.ts';
import { createOrganization, type OrgSummary } from './orgs.ts';
import type { Parsed } from './validation.ts';

/** Longest local part we hand out or accept (RFC 5321 allows 64). */
const MAX_LOCAL = 64;

/** A name turned into a local part: "Café Ünited, Inc." → "cafe-united-inc"; "team" when nothing is left. */
export function slugForInbox(name: string): string {
	const slug = name
		.normalize('NFKD')
		.replace(/[\u0300-\u036f]/g, '') // accents off: é → e
		.toLowerCase()
		.replace(/[^a-z0-9]+/g, '-')
		.replace(/^-+|-+$/g, '')
		.slice(0, 40)
		.replace(/-+$/, '');
	return slug || 'team';
}

/**
 * What an owner typed as the new address. A bare local part ("support") gets the inbound domain;
 * a full address must be at that domain, since only mail for it reaches this server.
 */
export function parseInboxAddress(raw: FormDataEntryValue | null | undefined, domain: string): Parsed<string> {
	const value = (typeof raw === 'string' ? raw : '').trim().toLowerCase();
	if (!value) return { ok: false, message: 'Enter an inbox address.' };
	const at = value.lastIndexOf('@');
	const local = at === -1 ? value : value.slice(0, at);
	const host = at === -1 ? domain.toLowerCase() : value.slice(at + 1);
	if (host !== domain.toLowerCase()) return { ok: false, message: `The address must end in @${domain}: only mail for that domain reaches this server.` };
	if (local.length > MAX_LOCAL) return { ok: false, message: `The part before @ has at most ${MAX_LOCAL} characters.` };
	// letters, digits and . _ + - ; no dot at either end or twice in a row (RFC 5321 dot-atom, narrowed)
	if (!/^[a-z0-9](?:[a-z0-9_+-]|\.(?!\.))*$/.test(local) || local.endsWith('.'))
		return { ok: false, message: 'Use letters, digits, dots, dashes, underscores or + before the @ (starting with a letter or digit).' };
	return { ok: true, value: `${local}@${host}` };
}

async function addressTaken(db: Db, address: string, exceptOrgId?: string): Promise<boolean> {
	const same = eq(sql`lower(${organizations.inboxAddress})`, address.toLowerCase());
	const [row] = await db
		.select({ id: organizations.id })
		.from(organizations)
		.where(exceptOrgId ? and(same, ne(organizations.id, exceptOrgId)) : same)
		.limit(1);
	return !!row;
}

/** The first free address of `<slug>@domain`, `<slug>-2@domain`, … */
export async function pickFreeInboxAddress(db: Db, name: string, domain: string): Promise<string> {
	const slug = slugForInbox(name);
	for (let n = 1; ; n++) {
		const address = `${n === 1 ? slug : `${slug}-${n}`}@${domain.toLowerCase()}`;
		if (!(await addressTaken(db, address))) return address;
	}
}

function isUniqueViolation(err: unknown): boolean {
	const text = String((err as { cause?: unknown })?.cause ?? '') + String(err);
	return /UNIQUE constraint failed: organizations\.inbox_address/.test(text);
}

/** Creates an organization owned by `userId` with an inbox address derived from its name. */
export async function createOrganizationWithInbox(db: Db, userId: string, name: string, domain: string): Promise<OrgSummary & { inboxAddress: string }> {
	// two organizations of the same name created at once can pick the same address: the unique index
	// refuses the second, which then picks again
	for (let attempt = 0; ; attempt++) {
		const inboxAddress = await pickFreeInboxAddress(db, name, domain);
		try {
			return { ...(await createOrganization(db, userId, name, inboxAddress)), inboxAddress };
		} catch (err) {
			if (attempt >= 3 || !isUniqueViolation(err)) throw err;
		}
	}
}

export type ChangeResult = { ok: true; address: string } | { ok: false; status: 400 | 409; message: string };

/** Sets the organization's address; a bad or taken address changes nothing. The caller checks the role. */
export async function changeInboxAddress(db: Db, orgId: string, raw: FormDataEntryValue | null, domain: string): Promise<ChangeResult> {
	const parsed = parseInboxAddress(raw, domain);
	if (!parsed.ok) return { ok: false, status: 400, message: parsed.message };
	const taken = { ok: false, status: 409, message: `${parsed.value} is already the address of another organization. Choose another.` } as const;
	if (await addressTaken(db, parsed.value, orgId)) return taken;
	try {
		await db.update(organizations).set({ inboxAddress: parsed.value }).where(eq(organizations.id, orgId));
	} catch (err) {
		if (isUniqueViolation(err)) return taken; // taken between the check and the update
		throw err;
	}
	return { ok: true, address: parsed.value };
}
