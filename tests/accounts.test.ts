import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createTempDatabase } from './helpers/temp-db.ts';
import type { Db } from '../src/lib/server/db/index.ts';
import { sessions, signInTokens, users } from '../src/lib/server/db/schema.ts';
import {
	authenticate,
	consumeSignInToken,
	createSignInToken,
	createUser,
	peekSignInToken,
	SIGN_IN_LINK_LIFETIME,
	startSession
} from '../src/lib/server/auth/accounts.ts';
import { hashToken, invalidateSession, invalidateUserSessions, validateSessionToken } from '../src/lib/server/auth/session.ts';
import { DEMO_PASSWORD, DemoUsers, seedDemoIfEmpty } from '../src/lib/server/seed.ts';
import { listUserOrgs, switchOrganization, createOrganization } from '../src/lib/server/orgs.ts';

let db: Db;
let cleanup: () => Promise<void>;
beforeEach(async () => {
	({ db, cleanup } = await createTempDatabase());
});
afterEach(async () => cleanup());

const ada = { name: 'Ada Lovelace', email: 'ada@example.com', password: 'analytical-engine' };

describe('sign-up and password sign-in', () => {
	it('stores an argon2id hash, never the password, and signs in with it', async () => {
		const created = await createUser(db, ada);
		expect(created.ok).toBe(true);
		const [row] = await db.select().from(users).where(eq(users.email, ada.email));
		expect(row.passwordHash).toMatch(/^\$argon2id\$/);
		expect(row.passwordHash).not.toContain(ada.password);
		expect(row.emailVerifiedAt).toBeNull();
		expect(await authenticate(db, 'ADA@example.com', ada.password)).toMatchObject({ email: ada.email, name: ada.name });
	});

	it('refuses a duplicate sign-up and changes nothing', async () => {
		await createUser(db, ada);
		const [before] = await db.select().from(users).where(eq(users.email, ada.email));
		const again = await createUser(db, { ...ada, email: 'Ada@Example.com', name: 'Impostor', password: 'another-password' });
		expect(again).toEqual({ ok: false, reason: 'email-taken' });
		const rows = await db.select().from(users);
		expect(rows).toHaveLength(1);
		expect(rows[0]).toEqual(before);
		expect(await authenticate(db, ada.email, 'another-password')).toBeNull();
	});

	it('gives the same answer for a wrong password and an unknown address', async () => {
		await createUser(db, ada);
		expect(await authenticate(db, ada.email, 'wrong-password')).toBeNull();
		expect(await authenticate(db, 'nobody@example.com', 'wrong-password')).toBeNull();
	});
});

describe('sign-in links', () => {
	it('stores only the hash, shows without consuming, signs in once and verifies the address', async () => {
		await createUser(db, ada);
		const token = (await createSignInToken(db, ada.email))!;
		const [stored] = await db.select().from(signInTokens);
		expect(stored.id).toBe(hashToken(token));
		expect(JSON.stringify(stored)).not.toContain(token);

		// a GET (mail scanner) may look as often as it likes
		expect(await peekSignInToken(db, token)).toEqual({ status: 'valid', email: ada.email });
		expect(await peekSignInToken(db, token)).toEqual({ status: 'valid', email: ada.email });

		const first = await consumeSignInToken(db, token);
		expect(first).toMatchObject({ ok: true, user: { email: ada.email } });
		const [user] = await db.select().from(users);
		expect(user.emailVerifiedAt).not.toBeNull();

		expect(await consumeSignInToken(db, token)).toEqual({ ok: false, status: 'used' });
		expect(await peekSignInToken(db, token)).toEqual({ status: 'used' });
	});

	it('refuses an expired link and changes nothing', async () => {
		await createUser(db, ada);
		const issuedAt = Date.now() - SIGN_IN_LINK_LIFETIME - 1;
		const token = (await createSignInToken(db, ada.email, issuedAt))!;
		expect(await peekSignInToken(db, token)).toEqual({ status: 'expired' });
		expect(await consumeSignInToken(db, token)).toEqual({ ok: false, status: 'expired' });
		const [row] = await db.select().from(signInTokens);
		expect(row.consumedAt).toBeNull();
		const [user] = await db.select().from(users);
		expect(user.emailVerifiedAt).toBeNull();
	});

	it('accepts a link just before it expires', async () => {
		await createUser(db, ada);
		const issuedAt = Date.now() - SIGN_IN_LINK_LIFETIME + 5_000;
		const token = (await createSignInToken(db, ada.email, issuedAt))!;
		expect((await consumeSignInToken(db, token)).ok).toBe(true);
	});

	it('makes no link for an unknown address, and refuses made-up tokens', async () => {
		expect(await createSignInToken(db, 'nobody@example.com')).toBeNull();
		expect(await db.select().from(signInTokens)).toHaveLength(0);
		expect(await consumeSignInToken(db, 'abcdefghijklmnopqrstuvwxyz234567')).toEqual({ ok: false, status: 'unknown' });
	});

	it('lets only one of two concurrent consumes through', async () => {
		await createUser(db, ada);
		const token = (await createSignInToken(db, ada.email))!;
		const results = await Promise.all([consumeSignInToken(db, token), consumeSignInToken(db, token)]);
		expect(results.filter((r) => r.ok)).toHaveLength(1);
	});
});

describe('sessions', () => {
	it('sign out ends one session; sign out everywhere ends them all', async () => {
		const { user } = (await createUser(db, ada)) as { ok: true; user: { id: string } };
		const a = await startSession(db, user.id);
		const b = await startSession(db, user.id);
		const c = await startSession(db, user.id);
		await invalidateSession(db, a.session.id);
		expect(await validateSessionToken(db, a.token)).toBeNull();
		expect(await validateSessionToken(db, b.token)).not.toBeNull();
		await invalidateUserSessions(db, user.id);
		expect(await validateSessionToken(db, b.token)).toBeNull();
		expect(await validateSessionToken(db, c.token)).toBeNull();
		expect(await db.select().from(sessions)).toHaveLength(0);
	});

	it('starts on the first organization and switches only to organizations the user belongs to', async () => {
		await seedDemoIfEmpty(db);
		const alice = (await authenticate(db, DemoUsers.alice.email, DEMO_PASSWORD))!;
		const nora = (await authenticate(db, DemoUsers.nora.email, DEMO_PASSWORD))!;
		const [acme] = await listUserOrgs(db, alice.id);
		const [northwind] = await listUserOrgs(db, nora.id);
		const { session } = await startSession(db, alice.id);
		expect(session.currentOrgId).toBe(acme.id);

		expect(await switchOrganization(db, session.id, alice.id, northwind.id)).toBe(false);
		const second = await createOrganization(db, alice.id, 'Alice Consulting');
		expect(await switchOrganization(db, session.id, alice.id, second.id)).toBe(true);
		const [row] = await db.select().from(sessions).where(eq(sessions.id, session.id));
		expect(row.currentOrgId).toBe(second.id);
		expect((await listUserOrgs(db, alice.id)).map((o) => [o.name, o.role])).toEqual([
			['Acme Support', 'owner'],
			['Alice Consulting', 'owner']
		]);
	});
});

describe('demo seed', () => {
	it('seeds an empty database once, with verified demo accounts', async () => {
		const lines = await seedDemoIfEmpty(db);
		expect(lines).toEqual([
			'alice@acme.test / parley-demo  (Acme Support, owner)',
			'bob@acme.test / parley-demo  (Acme Support, member)',
			'nora@northwind.test / parley-demo  (Northwind Studio, owner)'
		]);
		expect(await seedDemoIfEmpty(db)).toBeNull();
		const rows = await db.select().from(users);
		expect(rows).toHaveLength(3);
		expect(rows.every((u) => u.emailVerifiedAt !== null)).toBe(true);
		expect(await authenticate(db, DemoUsers.bob.email, DEMO_PASSWORD)).not.toBeNull();
	});
});
