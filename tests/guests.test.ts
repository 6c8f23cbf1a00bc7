// Guest access against a real relay and a real database file: invitation rules as a table, token
// security, accepting (existing accounts, members of other orgs, new people, squatted addresses),
// and revocation reaching open and offline replicas.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { eq } from 'drizzle-orm';
import { conversationParticipants, invitations, organizations, conversations, users, memberships } from '../src/lib/server/db/schema.ts';
import { hashToken, validateSessionToken, type SessionUser } from '../src/lib/server/auth/session.ts';
import { listOutbox } from '../src/lib/server/mail/index.ts';
import { readConversationGrant } from '../src/lib/server/access-facts.ts';
import { acceptGuestInvitation, createGuestAccount } from '../src/lib/server/guests/acceptance.ts';
import { GUEST_INVITATION_LIFETIME, computeInvitationEventId, inviteGuest, readGuestInvitation } from '../src/lib/server/guests/invitations.ts';
import { listOrgGuests } from '../src/lib/server/guests/listings.ts';
import { mailGuestInvitation } from '../src/lib/server/guests/mail.ts';
import { GuestMessages } from '../src/lib/server/guests/messages.ts';
import { removeGuest, revokeGuestInvitation } from '../src/lib/server/guests/removal.ts';
import { setConversationGuestsAllowed, updateOrgGuestSettings } from '../src/lib/server/guests/settings.ts';
import { MessageType } from '../src/lib/shared/protocol.ts';
import { createMemoryStore } from '../src/lib/sync/local-store.ts';
import { SyncProvider, type SocketLike } from '../src/lib/sync/provider.ts';
import { startRelay, type TestRelay } from './helpers/relay.ts';
import { open } from './helpers/sync-ops.ts';
import { chatMessage } from './helpers/ydoc.ts';

type User = { id: string; cookie: string; sessionId: string; email: string; name: string };

let relay: TestRelay;
let acme: string, northwind: string;
let alice: User, bob: User, nora: User, gina: User;
let lamp: string, fence: string;
let providers: SyncProvider[];

async function user(name: string): Promise<User> {
	const u = await relay.addUser(name);
	const [row] = await relay.database.db.select().from(users).where(eq(users.id, u.id));
	return { ...u, email: row.email, name };
}
const asSession = (u: User): SessionUser => ({ id: u.id, email: u.email, name: u.name });

beforeEach(async () => {
	relay = await startRelay();
	providers = [];
	acme = await relay.addOrg('Acme Support');
	northwind = await relay.addOrg('Northwind Studio');
	alice = await user('Alice Archer');
	bob = await user('Bob Baker');
	nora = await user('Nora North');
	gina = await user('Gina Guest');
	await relay.addMember(acme, alice.id, 'owner');
	await relay.addMember(acme, bob.id, 'member');
	await relay.addMember(northwind, nora.id, 'owner');
	lamp = await relay.addConversation(acme, { subject: 'Broken lamp' });
	fence = await relay.addConversation(acme, { subject: 'Fence repair' });
});
afterEach(async () => {
	for (const p of providers) p.destroy();
	await relay.close();
});

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
	const end = Date.now() + timeoutMs;
	while (!(await check())) {
		if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
		await new Promise((r) => setTimeout(r, 10));
	}
}

async function docJson(doc: string, root: string): Promise<Record<string, Record<string, unknown>>> {
	const ydoc = new Y.Doc();
	Y.applyUpdate(ydoc, await relay.endpoint.relay.readState(doc));
	return ydoc.getMap(root).toJSON();
}
const events = async (conversationId: string) =>
	Object.values(await docJson(`c/${conversationId}/thread`, 'events')).sort((a, b) => Number(a.at) - Number(b.at));
const inbox = (userId: string) => docJson(`u/${userId}/inbox`, 'conversations');

async function invite(inviter: User, conversationId: string, email: string, now?: number): Promise<string> {
	const result = await inviteGuest(relay.database, { inviterId: inviter.id, conversationId, email }, now);
	if (!result.ok) throw new Error(result.message);
	return result.token;
}
const setOrg = (values: Partial<typeof organizations.$inferInsert>) => relay.database.db.update(organizations).set(values).where(eq(organizations.id, acme));
const setConversation = (id: string, guestsAllowed: boolean) => relay.database.db.update(conversations).set({ guestsAllowed }).where(eq(conversations.id, id));

describe('inviting a guest: the rules as a table', () => {
	const cases: Array<{
		name: string;
		setup?: () => Promise<unknown>;
		inviter: () => User;
		conversation?: () => string;
		email: () => string;
		expect: { ok: true } | { status: number; message: string | RegExp };
	}> = [
		{ name: 'a member invites an outside address', inviter: () => bob, email: () => 'gus@example.com', expect: { ok: true } },
		{
			name: 'guests off for the organization: a clear message',
			setup: () => setOrg({ guestsAllowed: false }),
			inviter: () => alice,
			email: () => 'gus@example.com',
			expect: { status: 403, message: GuestMessages.orgOff }
		},
		{
			name: 'guests off for the conversation: a clear message',
			setup: () => setConversation(lamp, false),
			inviter: () => alice,
			email: () => 'gus@example.com',
			expect: { status: 403, message: GuestMessages.conversationOff }
		},
		{
			name: 'admins only: a member is refused',
			setup: () => setOrg({ whoMayInvite: 'admins' }),
			inviter: () => bob,
			email: () => 'gus@example.com',
			expect: { status: 403, message: GuestMessages.adminsOnly }
		},
		{ name: 'admins only: the owner may', setup: () => setOrg({ whoMayInvite: 'admins' }), inviter: () => alice, email: () => 'gus@example.com', expect: { ok: true } },
		{
			name: 'a member of the organization is told to just open the conversation',
			inviter: () => alice,
			email: () => bob.email,
			expect: { status: 400, message: /is a member of Acme Support: they can open this conversation already/ }
		},
		{
			name: 'someone outside the organization gets the not-found answer',
			inviter: () => nora,
			email: () => 'gus@example.com',
			expect: { status: 404, message: GuestMessages.notFound }
		},
		{
			name: 'an unknown conversation gets the same answer',
			inviter: () => alice,
			conversation: () => 'nope',
			email: () => 'gus@example.com',
			expect: { status: 404, message: GuestMessages.notFound }
		},
		{
			name: 'a guest cannot invite guests',
			setup: async () => relay.addGuest(lamp, gina.id),
			inviter: () => gina,
			email: () => 'gus@example.com',
			expect: { status: 404, message: GuestMessages.notFound }
		},
		{
			name: 'someone already a guest here',
			setup: async () => relay.addGuest(lamp, gina.id),
			inviter: () => alice,
			email: () => gina.email,
			expect: { status: 400, message: GuestMessages.alreadyGuest }
		},
		{
			name: 'guests per inviter: the limit counts distinct addresses, pending or joined',
			setup: async () => {
				await setOrg({ guestsPerInviter: 2 });
				await invite(alice, lamp, 'one@example.com');
				await invite(alice, fence, 'two@example.com');
			},
			inviter: () => alice,
			email: () => 'three@example.com',
			expect: { status: 400, message: /limit of 2 guests per person/ }
		},
		{
			name: 'guests per inviter: inviting an address already counted is not a new guest',
			setup: async () => {
				await setOrg({ guestsPerInviter: 2 });
				await invite(alice, lamp, 'one@example.com');
				await invite(alice, lamp, 'two@example.com');
			},
			inviter: () => alice,
			conversation: () => fence,
			email: () => 'one@example.com',
			expect: { ok: true }
		},
		{
			name: 'conversations per guest',
			setup: async () => {
				await setOrg({ conversationsPerGuest: 1 });
				await invite(alice, fence, 'gus@example.com');
			},
			inviter: () => bob,
			email: () => 'gus@example.com',
			expect: { status: 400, message: /already a guest in 1 conversations of Acme Support/ }
		}
	];

	for (const c of cases) {
		it(c.name, async () => {
			await c.setup?.();
			const before = (await relay.database.db.select().from(invitations)).length;
			const result = await inviteGuest(relay.database, { inviterId: c.inviter().id, conversationId: c.conversation?.() ?? lamp, email: c.email() });
			if ('ok' in c.expect) {
				expect(result).toMatchObject({ ok: true, subject: c.conversation?.() === fence ? 'Fence repair' : 'Broken lamp', orgName: 'Acme Support' });
			} else {
				expect(result).toMatchObject({ ok: false, status: c.expect.status, message: c.expect.message });
				// a refused invitation changes nothing
				expect(await relay.database.db.select().from(invitations)).toHaveLength(before);
			}
		});
	}

	it('stores only the token hash, for the lowercased address, for 7 days; the thread shows "invitation pending" without the address', async () => {
		const now = Date.now();
		const token = await invite(bob, lamp, 'Gus@Example.com', now);
		const [row] = await relay.database.db.select().from(invitations);
		expect(row).toMatchObject({ kind: 'guest', role: 'guest', email: 'gus@example.com', conversationId: lamp, invitedBy: bob.id, tokenHash: hashToken(token) });
		expect(row.expiresAt).toBe(now + GUEST_INVITATION_LIFETIME);
		expect(JSON.stringify(row)).not.toContain(token);
		const [event] = await events(lamp);
		expect(event).toMatchObject({ type: 'invitation-pending', actorName: 'Bob Baker' });
		expect(JSON.stringify(await docJson(`c/${lamp}/thread`, 'events'))).not.toContain('gus@example.com');
	});

	it('a new invitation to the same address for the same conversation withdraws the older one', async () => {
		const first = await invite(alice, lamp, 'gus@example.com');
		const again = await inviteGuest(relay.database, { inviterId: bob.id, conversationId: lamp, email: 'gus@example.com' });
		expect(again).toMatchObject({ ok: true, revokedOlder: 1 });
		expect(await readGuestInvitation(relay.database.db, first)).toMatchObject({ status: 'revoked' });
		expect(await readGuestInvitation(relay.database.db, (again as { token: string }).token)).toMatchObject({ status: 'valid' });
		// another conversation's invitation to the same address is untouched
		const other = await invite(alice, fence, 'gus@example.com');
		await invite(alice, lamp, 'gus@example.com');
		expect(await readGuestInvitation(relay.database.db, other)).toMatchObject({ status: 'valid' });
	});

	it('a pending invitation can be withdrawn by a member who may manage guests, not by an outsider', async () => {
		const token = await invite(bob, lamp, 'gus@example.com');
		const [{ id }] = await relay.database.db.select({ id: invitations.id }).from(invitations);
		expect(await revokeGuestInvitation(relay.database, nora.id, id)).toBe(false);
		expect(await revokeGuestInvitation(relay.database, alice.id, id)).toBe(true);
		expect(await acceptGuestInvitation(relay.database, token, asSession(gina), { confirmDifferentEmail: true })).toMatchObject({
			ok: false,
			message: expect.stringMatching(/withdrawn/)
		});
	});

	it('every withdrawal turns its "invitation pending" into "invitation withdrawn": a newer link, Withdraw, removing the guest', async () => {
		const invitationIds = async (by: User) => (await relay.database.db.select({ id: invitations.id }).from(invitations).where(eq(invitations.invitedBy, by.id))).map((r) => r.id);
		const typeOf = async (conversationId: string, invitationId: string) => (await docJson(`c/${conversationId}/thread`, 'events'))[computeInvitationEventId(invitationId)]?.type;
		await invite(alice, lamp, 'gus@example.com');
		const [older] = await invitationIds(alice);
		expect(await typeOf(lamp, older)).toBe('invitation-pending');
		await invite(bob, lamp, 'gus@example.com');
		const [newest] = await invitationIds(bob);
		expect([await typeOf(lamp, older), await typeOf(lamp, newest)]).toEqual(['invitation-withdrawn', 'invitation-pending']);

		expect(await revokeGuestInvitation(relay.database, alice.id, newest)).toBe(true);
		expect(await typeOf(lamp, newest)).toBe('invitation-withdrawn');
		expect((await events(lamp)).map((e) => e.type)).toEqual(['invitation-withdrawn', 'invitation-withdrawn']);

		// Gina is already a guest of fence with a link still pending there: removing her withdraws it
		await invite(bob, fence, gina.email);
		const fenceInvitation = (await invitationIds(bob)).find((id) => id !== newest)!;
		await relay.addGuest(fence, gina.id);
		expect(await removeGuest(relay.database, { actorId: alice.id, guestId: gina.id, orgId: acme, conversationId: fence })).toMatchObject({ ok: true });
		expect(await typeOf(fence, fenceInvitation)).toBe('invitation-withdrawn');
		// the thread never names the address or an invitation's id (what a withdraw form posts)
		const thread = JSON.stringify(await docJson(`c/${lamp}/thread`, 'events'));
		expect(thread).not.toContain('gus@example.com');
		expect(thread).not.toContain(newest);
	});

	it('the mail names the conversation and the inviter, carries the link, and no other address', async () => {
		await relay.addGuest(lamp, gina.id);
		const result = await inviteGuest(relay.database, { inviterId: alice.id, conversationId: lamp, email: 'gus@example.com' });
		if (!result.ok) throw new Error(result.message);
		await mailGuestInvitation(relay.database.db, { origin: 'http://parley.test', to: result.email, ...result });
		const [mail] = await listOutbox(relay.database.db);
		expect(mail.to).toBe('gus@example.com');
		expect(mail.subject).toBe('Alice Archer invited you to “Broken lamp” on Parley');
		expect(mail.text).toContain(`http://parley.test/invite/guest/${result.token}`);
		expect(mail.text).toContain('Acme Support');
		for (const other of [alice.email, bob.email, gina.email]) expect(mail.text).not.toContain(other);
	});
});

describe('accepting', () => {
	it('GET consumes nothing; accepting adds a guest participant, the inbox entry, "guest joined", and the link is used up', async () => {
		const token = await invite(bob, lamp, gina.email);
		for (let i = 0; i < 3; i++) expect(await readGuestInvitation(relay.database.db, token)).toMatchObject({ status: 'valid', subject: 'Broken lamp', orgName: 'Acme Support' });
		expect((await readConversationGrant(relay.database.client, gina.id, lamp)).role).toBe('none');

		expect(await acceptGuestInvitation(relay.database, token, asSession(gina))).toEqual({ ok: true, conversationId: lamp, alreadyMember: false });
		const [row] = await relay.database.db.select().from(conversationParticipants).where(eq(conversationParticipants.userId, gina.id));
		expect(row).toMatchObject({ conversationId: lamp, role: 'guest', invitedBy: bob.id });
		expect((await readConversationGrant(relay.database.client, gina.id, lamp)).role).toBe('guest');
		expect((await inbox(gina.id))[lamp]).toMatchObject({ role: 'guest', subject: 'Broken lamp', orgName: 'Acme Support' });
		expect((await events(lamp)).map((e) => e.type)).toEqual(['invitation-accepted', 'guest-joined']);

		const again = await acceptGuestInvitation(relay.database, token, asSession(gina));
		expect(again).toMatchObject({ ok: false, message: expect.stringMatching(/already been used/) });
		expect(await readGuestInvitation(relay.database.db, token)).toMatchObject({ status: 'accepted' });
	});

	it('an expired link is refused and grants nothing', async () => {
		const token = await invite(bob, lamp, gina.email, Date.now() - GUEST_INVITATION_LIFETIME - 1000);
		expect(await readGuestInvitation(relay.database.db, token)).toMatchObject({ status: 'expired' });
		expect(await acceptGuestInvitation(relay.database, token, asSession(gina))).toMatchObject({ ok: false, message: expect.stringMatching(/expired/) });
		expect((await readConversationGrant(relay.database.client, gina.id, lamp)).role).toBe('none');
	});

	it('a guessed token is unknown and grants nothing', async () => {
		await invite(bob, lamp, gina.email);
		expect(await acceptGuestInvitation(relay.database, 'abcdefghijklmnopqrstuvwxyz234567', asSession(gina))).toMatchObject({
			ok: false,
			message: expect.stringMatching(/not valid/)
		});
		expect(await relay.database.db.select().from(conversationParticipants).where(eq(conversationParticipants.userId, gina.id))).toEqual([]);
	});

	it('a forwarded link opened by a different account needs explicit confirmation, seeing both addresses', async () => {
		const token = await invite(bob, lamp, 'gus@example.com');
		const unconfirmed = await acceptGuestInvitation(relay.database, token, asSession(gina));
		expect(unconfirmed).toMatchObject({ ok: false, needsConfirmation: true });
		expect((unconfirmed as { message: string }).message).toContain('gus@example.com');
		expect((unconfirmed as { message: string }).message).toContain(gina.email);
		expect(await readGuestInvitation(relay.database.db, token)).toMatchObject({ status: 'valid' });
		expect(await acceptGuestInvitation(relay.database, token, asSession(gina), { confirmDifferentEmail: true })).toMatchObject({ ok: true });
		expect((await readConversationGrant(relay.database.client, gina.id, lamp)).role).toBe('guest');
		// a different address is not verified by the link
		const [g] = await relay.database.db.select().from(users).where(eq(users.id, gina.id));
		expect(g.email).toBe(gina.email);
	});

	it('a forwarded link is refused to an account already at the per-guest limit, and stays unused', async () => {
		await setOrg({ conversationsPerGuest: 1 });
		expect(await acceptGuestInvitation(relay.database, await invite(bob, lamp, gina.email), asSession(gina))).toMatchObject({ ok: true });
		// the invited address is a new one, so inviting passes the limit; the account that opens it is at it
		const token = await invite(bob, fence, 'gus@example.com');
		const result = await acceptGuestInvitation(relay.database, token, asSession(gina), { confirmDifferentEmail: true });
		expect(result).toMatchObject({ ok: false, status: 400, message: expect.stringMatching(/already a guest in 1 conversations of Acme Support, the limit/) });
		expect((await readConversationGrant(relay.database.client, gina.id, fence)).role).toBe('none');
		expect(await readGuestInvitation(relay.database.db, token)).toMatchObject({ status: 'valid' });
	});

	it('a member of another organization joins as a guest and keeps their own organization', async () => {
		const token = await invite(alice, lamp, nora.email);
		expect(await acceptGuestInvitation(relay.database, token, asSession(nora))).toMatchObject({ ok: true });
		expect((await readConversationGrant(relay.database.client, nora.id, lamp)).role).toBe('guest');
		expect(await relay.database.db.select({ org: memberships.orgId, role: memberships.role }).from(memberships).where(eq(memberships.userId, nora.id))).toEqual([
			{ org: northwind, role: 'owner' }
		]);
		const northwindChat = await relay.addConversation(northwind, { subject: 'Studio' });
		expect((await readConversationGrant(relay.database.client, nora.id, northwindChat)).role).toBe('member');
		expect((await readConversationGrant(relay.database.client, nora.id, fence)).role).toBe('none');
	});

	it('a member of the organization who opens a guest link is sent to the conversation; the link stays unused', async () => {
		const token = await invite(alice, lamp, 'gus@example.com');
		expect(await acceptGuestInvitation(relay.database, token, asSession(bob), { confirmDifferentEmail: true })).toEqual({
			ok: true,
			conversationId: lamp,
			alreadyMember: true
		});
		expect(await readGuestInvitation(relay.database.db, token)).toMatchObject({ status: 'valid' });
	});

	it('guests turned off after the invitation: accepting is refused with a clear message and consumes nothing', async () => {
		const token = await invite(alice, lamp, gina.email);
		await setConversation(lamp, false);
		expect(await acceptGuestInvitation(relay.database, token, asSession(gina))).toMatchObject({ ok: false, status: 403, message: GuestMessages.acceptOff });
		expect(await readGuestInvitation(relay.database.db, token)).toMatchObject({ status: 'valid' });
	});

	it('a new person signs up from the link: the address is verified by it', async () => {
		const token = await invite(alice, lamp, 'newbie@example.com');
		const created = await createGuestAccount(relay.database, { email: 'newbie@example.com', name: 'Newt', password: 'correct horse battery' });
		if (!created.ok) throw new Error(created.message);
		expect(await acceptGuestInvitation(relay.database, token, created.user)).toMatchObject({ ok: true });
		const [row] = await relay.database.db.select().from(users).where(eq(users.id, created.user.id));
		expect(row.emailVerifiedAt).not.toBeNull();
		expect((await readConversationGrant(relay.database.client, created.user.id, lamp)).role).toBe('guest');
	});

	it('an address pre-registered by someone else without verifying gains nothing, and the owner takes it back through the link', async () => {
		// the squatter registers victim@example.com but never proves it, and is signed in as that account
		const squatter = await user('Squatter');
		await relay.database.db.update(users).set({ email: 'victim@example.com', emailVerifiedAt: null }).where(eq(users.id, squatter.id));
		const squatterSession = squatter.cookie.split('=')[1];
		const token = await invite(alice, lamp, 'victim@example.com');
		// nothing grants access by address alone
		expect((await readConversationGrant(relay.database.client, squatter.id, lamp)).role).toBe('none');
		expect(await inbox(squatter.id)).toEqual({});

		// the real owner receives the link and creates their account from it
		const created = await createGuestAccount(relay.database, { email: 'victim@example.com', name: 'Victor', password: 'the real owner pw' });
		if (!created.ok) throw new Error(created.message);
		expect(await validateSessionToken(relay.database.db, squatterSession)).toBeNull();
		expect(await acceptGuestInvitation(relay.database, token, created.user)).toMatchObject({ ok: true });
		const [row] = await relay.database.db.select().from(users).where(eq(users.email, 'victim@example.com'));
		expect(row).toMatchObject({ name: 'Victor' });
		expect(row.emailVerifiedAt).not.toBeNull();
	});

	it('an unverified account that holds an organization is not handed to whoever has the (maybe forwarded) link', async () => {
		const owner = await user('Uma Unverified');
		await relay.database.db.update(users).set({ email: 'uma@example.com', emailVerifiedAt: null }).where(eq(users.id, owner.id));
		await relay.addMember(northwind, owner.id, 'member');
		await invite(alice, lamp, 'uma@example.com');
		expect(await createGuestAccount(relay.database, { email: 'uma@example.com', name: 'Forwardee', password: 'forwarded pw 1' })).toMatchObject({
			ok: false,
			message: expect.stringMatching(/Sign in with it, or ask for a sign-in link/)
		});
		expect(await validateSessionToken(relay.database.db, owner.cookie.split('=')[1])).not.toBeNull();
		const [row] = await relay.database.db.select().from(users).where(eq(users.id, owner.id));
		expect(row).toMatchObject({ name: 'Uma Unverified', emailVerifiedAt: null });
	});

	it('signing up from the link for an address with a verified account is refused (sign in instead)', async () => {
		await invite(alice, lamp, gina.email);
		expect(await createGuestAccount(relay.database, { email: gina.email, name: 'Imposter', password: 'whatever123' })).toMatchObject({
			ok: false,
			message: expect.stringMatching(/Sign in/)
		});
	});
});

describe('managing guests', () => {
	async function joined(guest: User, conversationId: string, inviter: User = bob) {
		const token = await invite(inviter, conversationId, guest.email);
		const r = await acceptGuestInvitation(relay.database, token, asSession(guest));
		if (!r.ok) throw new Error(r.message);
	}

	it('lists guests with their conversations and who invited them', async () => {
		await joined(gina, lamp, bob);
		await joined(gina, fence, alice);
		await joined(nora, lamp, alice);
		const guests = await listOrgGuests(relay.database.db, acme);
		expect(guests.map((g) => [g.name, g.conversations.map((c) => [c.subject, c.invitedByName])])).toEqual([
			['Gina Guest', [['Broken lamp', 'Bob Baker'], ['Fence repair', 'Alice Archer']]],
			['Nora North', [['Broken lamp', 'Alice Archer']]]
		]);
	});

	it('removing from one conversation: rows, "guest removed", inbox; an outsider may not', async () => {
		await joined(gina, lamp);
		await joined(gina, fence);
		expect(await removeGuest(relay.database, { actorId: nora.id, guestId: gina.id, orgId: acme, conversationId: lamp })).toMatchObject({ ok: false, status: 403 });
		expect(await removeGuest(relay.database, { actorId: alice.id, guestId: gina.id, orgId: acme, conversationId: lamp })).toEqual({ ok: true, removed: [lamp] });
		expect((await readConversationGrant(relay.database.client, gina.id, lamp)).role).toBe('none');
		expect((await readConversationGrant(relay.database.client, gina.id, fence)).role).toBe('guest');
		expect(Object.keys(await inbox(gina.id))).toEqual([fence]);
		expect((await events(lamp)).at(-1)).toMatchObject({ type: 'guest-removed', actorName: 'Alice Archer', subjectName: 'Gina Guest' });
	});

	it('removing everywhere', async () => {
		await joined(gina, lamp);
		await joined(gina, fence);
		const result = await removeGuest(relay.database, { actorId: alice.id, guestId: gina.id, orgId: acme, conversationId: null });
		expect(result).toMatchObject({ ok: true });
		expect((result as { removed: string[] }).removed.sort()).toEqual([lamp, fence].sort());
		expect(await inbox(gina.id)).toEqual({});
	});

	it('only owners and admins change organization settings; a member may not', async () => {
		const settings = { guestsAllowed: false, whoMayInvite: 'members' as const, guestsPerInviter: 5, conversationsPerGuest: 5 };
		expect(await updateOrgGuestSettings(relay.database, bob.id, acme, settings)).toMatchObject({ ok: false, status: 403 });
		expect(await updateOrgGuestSettings(relay.database, alice.id, acme, settings)).toEqual({ ok: true });
	});
});

describe('revocation reaches replicas', () => {
	function connectProvider(cookie: string, store = createMemoryStore(), network = { down: false }) {
		const p = new SyncProvider({
			url: relay.wsUrl,
			store,
			backoff: { baseMs: 20, maxMs: 200 },
			createSocket: (url) =>
				new WebSocket(network.down ? 'ws://127.0.0.1:9/sync' : url, { headers: { Cookie: cookie, Origin: relay.origin } }) as unknown as SocketLike
		});
		providers.push(p);
		return p;
	}
	async function joinedGina() {
		const token = await invite(bob, lamp, gina.email);
		const r = await acceptGuestInvitation(relay.database, token, asSession(gina));
		if (!r.ok) throw new Error(r.message);
	}

	it('an open raw socket gets Access none at once when the guest is removed', async () => {
		await joinedGina();
		const client = await relay.connect(gina.cookie);
		expect((await open(client, `c/${lamp}/chat`)).role).toBe('guest');
		expect((await open(client, `c/${lamp}/thread`)).role).toBe('guest');
		const from = client.frames.length;
		await removeGuest(relay.database, { actorId: alice.id, guestId: gina.id, orgId: acme, conversationId: lamp });
		for (const lane of ['chat', 'thread']) {
			await client.waitFor((f) => f.type === MessageType.Access && f.doc === `c/${lamp}/${lane}` && f.role === 'none', 5000, from);
		}
	});

	it('turning guests off for the organization or the conversation cuts open sockets too', async () => {
		await joinedGina();
		const client = await relay.connect(gina.cookie);
		expect((await open(client, `c/${lamp}/chat`)).role).toBe('guest');
		let from = client.frames.length;
		await setConversationGuestsAllowed(relay.database, alice.id, lamp, false);
		await client.waitFor((f) => f.type === MessageType.Access && f.doc === `c/${lamp}/chat` && f.role === 'none', 5000, from);
		expect(await inbox(gina.id)).toEqual({});

		await setConversationGuestsAllowed(relay.database, alice.id, lamp, true);
		expect((await open(client, `c/${lamp}/chat`)).role).toBe('guest');
		from = client.frames.length;
		await updateOrgGuestSettings(relay.database, alice.id, acme, { guestsAllowed: false, whoMayInvite: 'members', guestsPerInviter: 5, conversationsPerGuest: 5 });
		await client.waitFor((f) => f.type === MessageType.Access && f.doc === `c/${lamp}/chat` && f.role === 'none', 5000, from);
	});

	it('a connected provider drops the documents and deletes the local copy', async () => {
		await joinedGina();
		const store = createMemoryStore();
		const g = connectProvider(gina.cookie, store);
		const chat = `c/${lamp}/chat`;
		g.open(chat);
		g.open(`c/${lamp}/thread`);
		await until(() => g.status.online, 'online');
		g.getDoc(chat)!.getMap('messages').set(`${gina.id}:g1`, chatMessage(gina.id, 'g1', 'hello from the guest'));
		await until(() => g.status.pending === 0, 'acknowledged');
		expect(await store.listDocs()).toContain(chat);
		const revoked: string[] = [];
		g.on('revoked', (e) => revoked.push(e.doc));

		await removeGuest(relay.database, { actorId: alice.id, guestId: gina.id, orgId: acme, conversationId: lamp });
		await until(() => revoked.includes(chat) && revoked.includes(`c/${lamp}/thread`), 'the provider is told');
		await g.flush();
		expect(g.getDoc(chat)).toBeUndefined();
		expect(await store.listDocs()).not.toContain(chat);
		expect(await store.listDocs()).not.toContain(`c/${lamp}/thread`);
	});

	it('an offline provider learns on reconnect: copy deleted, its offline writes reported refused', async () => {
		await joinedGina();
		const store = createMemoryStore();
		const network = { down: false };
		const g = connectProvider(gina.cookie, store, network);
		const chat = `c/${lamp}/chat`;
		g.open(chat);
		await until(() => g.status.online, 'online');
		network.down = true;
		g.disconnect();
		await until(() => !g.status.online, 'offline');

		await removeGuest(relay.database, { actorId: alice.id, guestId: gina.id, orgId: acme, conversationId: lamp });
		g.getDoc(chat)!.getMap('messages').set(`${gina.id}:late`, chatMessage(gina.id, 'late', 'written offline after removal'));
		await g.flush();
		expect(g.status.pending).toBe(1);

		network.down = false;
		await until(() => g.status.refused.length === 1, 'the offline write is reported refused', 10_000);
		expect(g.status.refused[0]).toMatchObject({ doc: chat, records: [{ key: `${gina.id}:late`, value: { text: 'written offline after removal' } }] });
		expect(g.status.pending).toBe(0);
		await g.flush();
		expect(await store.listDocs()).not.toContain(chat);
		expect(Object.keys(await docJson(chat, 'messages'))).toEqual([]);
	});
});

