import { count } from 'drizzle-orm';
import type { Db } from './db/index.ts';
import type { App } from './app.ts';
import { conversationParticipants, conversations, memberships, organizations, users } from './db/schema.ts';
import { hashPassword } from './auth/accounts.ts';
import { rememberContacts } from './mail/contacts.ts';
import { conversationDoc, orgDoc } from '../shared/doc-names.ts';

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

/**
 * Writes the demo conversations' documents (an inbound email, chat, tasks, labels) through the
 * relay, and every demo user's inbox. Run after `seedDemoIfEmpty` seeded the rows.
 */
export async function seedDemoDocuments(database: App): Promise<void> {
	const { syncInbox } = await import('./conversations.ts');
	const { db, relay } = database;
	const convs = await db.select().from(conversations);
	const people = await db.select({ id: users.id, email: users.email, name: users.name }).from(users);
	const byEmail = new Map(people.map((p) => [p.email, p]));
	const alice = byEmail.get(DemoUsers.alice.email)!;
	const bob = byEmail.get(DemoUsers.bob.email)!;
	const order = convs.find((c) => c.subject === DemoConversations.order.subject)!;
	const redesign = convs.find((c) => c.subject === DemoConversations.redesign.subject)!;
	const now = Date.now();
	const hour = 60 * 60 * 1000;
	const day = (offset: number) => new Date(now + offset * 24 * hour).toISOString().slice(0, 10);

	await relay.serverEdit(conversationDoc(order.id, 'thread'), (ydoc) => {
		ydoc.getMap('events').set('created', { id: 'created', type: 'conversation-created', actorName: 'Parley', subjectName: order.subject, at: now - 3 * hour });
		ydoc.getMap('messages').set('demo-in-1', {
			id: 'demo-in-1',
			direction: 'in',
			from: { name: 'Dana Whitfield', address: 'dana@example.com' },
			to: [{ name: DemoOrgs.acme.name, address: DemoOrgs.acme.inboxAddress }],
			cc: [],
			subject: order.subject,
			text: 'Hi Acme team,\n\nMy order #1042 arrived today and the glass panel of the lamp is cracked. The box looked fine from the outside. Could you send a replacement? I can send photos if that helps.\n\nThanks,\nDana',
			sentAt: now - 3 * hour,
			messageId: '<demo-1042@example.com>',
			attachments: []
		});
	});
	await relay.serverEdit(conversationDoc(order.id, 'chat'), (ydoc) => {
		const key = `${bob.id}:demo1`;
		ydoc.getMap('messages').set(key, { id: key, authorId: bob.id, text: 'Warehouse says this batch had a packing issue. I think we should replace it without asking for photos.', mentions: [], createdAt: now - 2 * hour });
	});
	await relay.serverEdit(conversationDoc(order.id, 'tasks'), (ydoc) => {
		const tasks = ydoc.getMap('tasks');
		tasks.set('demo-task-1', { id: 'demo-task-1', title: 'Ship a replacement lamp', description: 'Same model, express shipping.', status: 'open', due: day(1), createdBy: alice.id, createdAt: now - hour, updatedAt: now - hour, updatedBy: alice.id });
		tasks.set('demo-task-2', { id: 'demo-task-2', title: 'Check the rest of batch 7 for damage', description: '', status: 'done', due: null, createdBy: bob.id, createdAt: now - hour, updatedAt: now - hour / 2, updatedBy: bob.id });
	});
	await relay.serverEdit(orgDoc(order.orgId, 'labels'), (ydoc) => {
		const labels = ydoc.getMap('labels');
		labels.set('urgent', { id: 'urgent', name: 'Urgent', color: '#d93025', createdBy: alice.id });
		labels.set('shipping', { id: 'shipping', name: 'Shipping', color: '#1a73e8', createdBy: alice.id });
	});
	await relay.serverEdit(conversationDoc(order.id, 'internal'), (ydoc) => {
		ydoc.getMap('labels').set('urgent', { labelId: 'urgent', appliedBy: alice.id, appliedAt: now - hour });
		ydoc.getMap('assignees').set(alice.id, { userId: alice.id, assignedBy: bob.id, assignedAt: now - hour });
		ydoc.getMap('taskAssignees').set('demo-task-1', { taskId: 'demo-task-1', userId: bob.id, assignedBy: alice.id, assignedAt: now - hour });
	});
	await relay.serverEdit(conversationDoc(redesign.id, 'thread'), (ydoc) => {
		ydoc.getMap('events').set('created', { id: 'created', type: 'conversation-created', actorName: DemoUsers.alice.name, subjectName: redesign.subject, at: now - 24 * hour });
	});
	await relay.serverEdit(conversationDoc(redesign.id, 'chat'), (ydoc) => {
		const key = `${alice.id}:demo1`;
		ydoc.getMap('messages').set(key, { id: key, authorId: alice.id, text: 'This channel is for the redesign with our contractors. Drafts and feedback go here.', mentions: [], createdAt: now - 23 * hour });
	});
	await relay.serverEdit(conversationDoc(redesign.id, 'tasks'), (ydoc) => {
		ydoc.getMap('tasks').set('demo-task-3', { id: 'demo-task-3', title: 'Homepage wireframes', description: 'Desktop and phone.', status: 'open', due: day(7), createdBy: alice.id, createdAt: now - 23 * hour, updatedAt: now - 23 * hour, updatedBy: alice.id });
	});
	await rememberContacts(database, order.orgId, [{ name: 'Dana Whitfield', address: 'dana@example.com' }], DemoOrgs.acme.inboxAddress, now - 3 * hour);
	for (const person of people) await syncInbox(database, person.id);
}
