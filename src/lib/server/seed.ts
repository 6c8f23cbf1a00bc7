import { count } from 'drizzle-orm';
import type { Db } from './db/index.ts';
import { conversationParticipants, conversations, memberships, organizations, users } from './db/schema.ts';
import { hashPassword } from './auth/accounts.ts';

/** The demo sign-ins seeded into an empty database (tests import these). */
export const DEMO_PASSWORD = 'parley-demo';
export const DemoUsers = {
	alice: { email: 'alice@acme.test', name: 'Alice Archer' },
	bob: { email: 'bob@acme.test', name: 'Bob Baker' },
	nora: { email: 'nora@northwind.test', name: 'Nora North' }
} as const;
export type DemoUsers = typeof DemoUsers;
export const DemoOrgs = {
	acme: { name: 'Acme Support', inboxAddress: 'acme@parley.localhost' },
	northwind: { name: 'Northwind Studio', inboxAddress: 'northwind@parley.localhost' }
} as const;
export type DemoOrgs = typeof DemoOrgs;
export const DemoConversations = {
	order: { subject: 'Order #1042 arrived damaged', kind: 'email' },
	redesign: { subject: 'Website redesign (contractors)', kind: 'channel' }
} as const;
export type DemoConversations = typeof DemoConversations;

/** Seeds the demo organizations into an empty database; returns the sign-in lines to print, or null. */
export async function seedDemoIfEmpty(db: Db): Promise<string[] | null> {
	const [{ n }] = await db.select({ n: count() }).from(users);
	if (n > 0) return null;
	const now = Date.now();
	const passwordHash = await hashPassword(DEMO_PASSWORD);
	const id = {
		alice: crypto.randomUUID(),
		bob: crypto.randomUUID(),
		nora: crypto.randomUUID(),
		acme: crypto.randomUUID(),
		northwind: crypto.randomUUID(),
		order: crypto.randomUUID(),
		redesign: crypto.randomUUID()
	};
	const person = (key: keyof DemoUsers) => ({ id: id[key], ...DemoUsers[key], passwordHash, emailVerifiedAt: now, createdAt: now });
	// Nora is a Northwind member only: she becomes a guest in an Acme conversation later, by invitation
	await db.batch([
		db.insert(users).values([person('alice'), person('bob'), person('nora')]),
		db.insert(organizations).values([
			{ id: id.acme, ...DemoOrgs.acme, createdAt: now },
			{ id: id.northwind, ...DemoOrgs.northwind, createdAt: now }
		]),
		db.insert(memberships).values([
			{ orgId: id.acme, userId: id.alice, role: 'owner', createdAt: now },
			{ orgId: id.acme, userId: id.bob, role: 'member', createdAt: now + 1 },
			{ orgId: id.northwind, userId: id.nora, role: 'owner', createdAt: now }
		]),
		db.insert(conversations).values([
			{ id: id.order, orgId: id.acme, ...DemoConversations.order, createdBy: id.alice, createdAt: now, lastActivityAt: now + 1 },
			{ id: id.redesign, orgId: id.acme, ...DemoConversations.redesign, createdBy: id.alice, createdAt: now, lastActivityAt: now }
		]),
		db.insert(conversationParticipants).values(
			[id.order, id.redesign].flatMap((conversationId) => [
				{ conversationId, userId: id.alice, role: 'member' as const, addedAt: now },
				{ conversationId, userId: id.bob, role: 'member' as const, addedAt: now }
			])
		)
	]);
	return [
		`${DemoUsers.alice.email} / ${DEMO_PASSWORD}  (${DemoOrgs.acme.name}, owner)`,
		`${DemoUsers.bob.email} / ${DEMO_PASSWORD}  (${DemoOrgs.acme.name}, member)`,
		`${DemoUsers.nora.email} / ${DEMO_PASSWORD}  (${DemoOrgs.northwind.name}, owner)`
	];
}
