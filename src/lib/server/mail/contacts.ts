// Who an organization has exchanged email with, for the compose form's suggestions. Written on
// every inbound message and every email sent; members only read it (the compose page).
import { desc, eq, sql } from 'drizzle-orm';
import type { Database } from '../db/index.ts';
import { contacts } from '../db/schema.ts';
import type { EmailAddress } from '../../shared/addresses.ts';

/** Records (or refreshes) the people of a message; the organization's own inbox is not a contact. */
export async function rememberContacts(database: Database, orgId: string, people: EmailAddress[], inbox: string | null, at = Date.now()): Promise<void> {
	const self = inbox?.toLowerCase();
	const rows = new Map<string, { orgId: string; address: string; name: string; lastSeenAt: number }>();
	for (const p of people) {
		const address = p.address.trim().toLowerCase().slice(0, 320);
		if (!address.includes('@') || address === self) continue;
		rows.set(address, { orgId, address, name: p.name.slice(0, 200), lastSeenAt: at });
	}
	if (rows.size === 0) return;
	await database.db
		.insert(contacts)
		.values([...rows.values()])
		// a later message without a display name keeps the name we knew
		.onConflictDoUpdate({ target: [contacts.orgId, contacts.address], set: { lastSeenAt: sql`excluded.last_seen_at`, name: sql`CASE WHEN excluded.name = '' THEN ${contacts.name} ELSE excluded.name END` } });
}

/** The organization's most recent correspondents. */
export async function listContacts(database: Database, orgId: string, limit = 500): Promise<EmailAddress[]> {
	const rows = await database.db.select({ name: contacts.name, address: contacts.address }).from(contacts).where(eq(contacts.orgId, orgId)).orderBy(desc(contacts.lastSeenAt)).limit(limit);
	return rows;
}
