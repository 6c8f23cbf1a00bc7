import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createTempDatabase } from './helpers/temp-db.ts';
import type { Db } from '../src/lib/server/db/index.ts';
import { invitations, memberships, users } from '../src/lib/server/db/schema.ts';
import { authenticate, createUser } from '../src/lib/server/auth/accounts.ts';
import { hashToken, type SessionUser } from '../src/lib/server/auth/session.ts';
import { DEMO_PASSWORD, DemoUsers, seedDemoIfEmpty } from '../src/lib/server/seed.ts';
import { getRole, listMembers, listPendingInvitations, listUserOrgs } from '../src/lib/server/orgs.ts';
import {
	acceptMemberInvitation,
	createMemberInvitation,
	INVITATION_LIFETIME,
	readInvitation,
	revokeInvitation
} from '../src/lib/server/invitations.ts';

let db: Db;
let cleanup: () => Promise<void>;
let alice: SessionUser, bob: SessionUser, nora: SessionUser;
let acmeId: string;

beforeEach(async () => {
	({ db, cleanup } = await createTempDatabase());
	await seedDemoIfEmpty(db);
	alice = (await authenticate(db, DemoUsers.alice.email, DEMO_PASSWORD))!;
	bob = (await authenticate(db, DemoUsers.bob.email, DEMO_PASSWORD))!;
	nora = (await authenticate(db, DemoUsers.nora.email, DEMO_PASSWORD))!;
	acmeId = (await listUserOrgs(db, alice.id))[0].id;
});
afterEach(async () => cleanup());

async function invite(email: string, role: 'admin' | 'member' = 'member', now = Date.now()) {
	const result = await createMemberInvitation(db, { orgId: acmeId, inviterId: alice.id, email, role }, now);
	if (!result.ok) throw new Error(result.message);
	return result.token;
}

describe('member invitations', () => {
	it('stores only the token hash and lists the invitation as pending', async () => {
		const token = await invite('Carol@Example.com');
		const [row] = await db.select().from(invitations);
		expect(row.tokenHash).toBe(hashToken(token));
		expect(row).toMatchObject({ kind: 'member', email: 'carol@example.com', role: 'member' });
		expect((await listPendingInvitations(db, acmeId)).map((i) => i.email)).toEqual(['carol@example.com']);
		expect(await readInvitation(db, token)).toMatchObject({ status: 'valid', orgName: 'Acme Support', inviterName: 'Alice Archer' });
	});

	it('only owners and admins may invite', async () => {
		const result = await createMemberInvitation(db, { orgId: acmeId, inviterId: bob.id, email: 'x@example.com', role: 'member' });
		expect(result).toMatchObject({ ok: false, status: 403 });
		const outsider = await createMemberInvitation(db, { orgId: acmeId, inviterId: nora.id, email: 'x@example.com', role: 'admin' });
		expect(outsider).toMatchObject({ ok: false, status: 403 });
		expect(await db.select().from(invitations)).toHaveLength(0);
	});

	it('refuses to invite someone who is already a member', async () => {
		const result = await createMemberInvitation(db, { orgId: acmeId, inviterId: alice.id, email: DemoUsers.bob.email, role: 'member' });
		expect(result).toMatchObject({ ok: false, status: 400 });
	});

	it('a user with the invited address joins with the invited role; the link then is used up', async () => {
		const token = await invite(DemoUsers.nora.email, 'admin');
		const accepted = await acceptMemberInvitation(db, token, nora);
		expect(accepted).toEqual({ ok: true, orgId: acmeId, orgName: 'Acme Support' });
		expect(await getRole(db, acmeId, nora.id)).toBe('admin');
		expect((await listUserOrgs(db, nora.id)).map((o) => o.name)).toEqual(['Northwind Studio', 'Acme Support']);

		const reused = await acceptMemberInvitation(db, token, nora);
		expect(reused).toMatchObject({ ok: false, message: expect.stringMatching(/already been used/) });
		expect(await readInvitation(db, token)).toMatchObject({ status: 'accepted' });
		expect(await listPendingInvitations(db, acmeId)).toHaveLength(0);
	});

	it('a user signed in with a different address must confirm explicitly', async () => {
		const token = await invite('someone-else@example.com');
		const unconfirmed = await acceptMemberInvitation(db, token, nora);
		expect(unconfirmed).toMatchObject({ ok: false, needsConfirmation: true });
		if (!unconfirmed.ok) {
			expect(unconfirmed.message).toContain('someone-else@example.com');
			expect(unconfirmed.message).toContain(DemoUsers.nora.email);
		}
		expect(await getRole(db, acmeId, nora.id)).toBeNull();
		expect(await readInvitation(db, token)).toMatchObject({ status: 'valid' });

		expect(await acceptMemberInvitation(db, token, nora, { confirmDifferentEmail: true })).toMatchObject({ ok: true });
		expect(await getRole(db, acmeId, nora.id)).toBe('member');
	});

	it('a new account made from the invitation counts as verified', async () => {
		const token = await invite('dan@example.com');
		const created = await createUser(db, { name: 'Dan', email: 'dan@example.com', password: 'password-123', verified: true });
		if (!created.ok) throw new Error('sign-up failed');
		expect(await acceptMemberInvitation(db, token, created.user)).toMatchObject({ ok: true });
		const [dan] = await db.select().from(users).where(eq(users.email, 'dan@example.com'));
		expect(dan.emailVerifiedAt).not.toBeNull();
		expect((await listMembers(db, acmeId)).map((m) => `${m.name}:${m.role}`)).toEqual(['Alice Archer:owner', 'Bob Baker:member', 'Dan:member']);
	});

	it('refuses expired and revoked invitations and changes nothing', async () => {
		const expired = await invite(DemoUsers.nora.email, 'member', Date.now() - INVITATION_LIFETIME - 1);
		expect(await acceptMemberInvitation(db, expired, nora)).toMatchObject({ ok: false, message: expect.stringMatching(/expired/) });

		const revoked = await invite(DemoUsers.nora.email);
		const [row] = await db.select().from(invitations).where(eq(invitations.tokenHash, hashToken(revoked)));
		expect(await revokeInvitation(db, row.id, bob.id)).toBe(false); // members cannot revoke
		expect(await revokeInvitation(db, row.id, alice.id)).toBe(true);
		expect(await acceptMemberInvitation(db, revoked, nora)).toMatchObject({ ok: false, message: expect.stringMatching(/withdrawn/) });

		expect(await acceptMemberInvitation(db, 'abcdefghijklmnopqrstuvwxyz234567', nora)).toMatchObject({ ok: false, message: expect.stringMatching(/not valid/) });
		expect(await getRole(db, acmeId, nora.id)).toBeNull();
		expect(await db.select().from(memberships).where(eq(memberships.userId, nora.id))).toHaveLength(1);
	});

	it('never demotes an existing owner who accepts an invitation', async () => {
		// Alice is Acme's owner; an invitation to her address (made before she joined, say) must not change that
		const token = 'abcdefghijklmnopqrstuvwxyz234567';
		await db.insert(invitations).values({
			id: 'inv-1',
			tokenHash: hashToken(token),
			kind: 'member',
			orgId: acmeId,
			email: alice.email,
			role: 'member',
			invitedBy: bob.id,
			expiresAt: Date.now() + 60_000,
			createdAt: Date.now()
		});
		expect(await acceptMemberInvitation(db, token, alice)).toMatchObject({ ok: true });
		expect(await getRole(db, acmeId, alice.id)).toBe('owner');
	});
});
