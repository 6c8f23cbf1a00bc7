import { hash, verify } from '@node-rs/argon2';
import { and, eq, gt, isNull, asc } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { memberships, signInTokens, users } from '../db/schema.ts';
import { createSession, generateSessionToken, hashToken, type SessionInfo, type SessionUser } from './session.ts';

// Accounts: sign-up, password sign-in and sign-in links. Answers never reveal whether an
// address has an account, except on sign-up, where the address being taken must be said.

/** Argon2id with the OWASP minimum (19 MiB, 2 passes, 1 lane); @node-rs/argon2 defaults to argon2id. */
const ARGON2 = { memoryCost: 19456, timeCost: 2, parallelism: 1, outputLen: 32 } as const;
export const SIGN_IN_LINK_LIFETIME = 15 * 60 * 1000;

export function hashPassword(password: string): Promise<string> {
	return hash(password, ARGON2);
}

let dummyHash: Promise<string> | null = null;
/** Verifies a password; with no stored hash it still spends the same time, so timing does not tell accounts apart. */
export async function verifyPassword(stored: string | null, password: string): Promise<boolean> {
	if (!stored) {
		dummyHash ??= hashPassword('parley-timing-equalizer');
		await verify(await dummyHash, password).catch(() => false);
		return false;
	}
	return verify(stored, password).catch(() => false);
}

export type CreateUserResult = { ok: true; user: SessionUser } | { ok: false; reason: 'email-taken' };

/** Creates an account; `verified` when the person has already proven the address (an invitation link). */
export async function createUser(
	db: Db,
	input: { name: string; email: string; password: string | null; verified?: boolean }
): Promise<CreateUserResult> {
	const email = input.email.toLowerCase();
	const existing = await db.select({ id: users.id }).from(users).where(eq(users.email, email));
	if (existing.length) return { ok: false, reason: 'email-taken' };
	const now = Date.now();
	const user = { id: crypto.randomUUID(), email, name: input.name };
	const passwordHash = input.password ? await hashPassword(input.password) : null;
	// the unique index settles a race between two sign-ups with the same address
	const inserted = await db
		.insert(users)
		.values({ ...user, passwordHash, emailVerifiedAt: input.verified ? now : null, createdAt: now })
		.onConflictDoNothing()
		.returning({ id: users.id });
	if (!inserted.length) return { ok: false, reason: 'email-taken' };
	return { ok: true, user };
}

/** The user for an email and password, or null (one answer for an unknown address and a wrong password). */
export async function authenticate(db: Db, email: string, password: string): Promise<SessionUser | null> {
	const [row] = await db.select().from(users).where(eq(users.email, email.toLowerCase()));
	const valid = await verifyPassword(row?.passwordHash ?? null, password);
	if (!row || !valid) return null;
	return { id: row.id, email: row.email, name: row.name };
}

export async function findUserByEmail(db: Db, email: string): Promise<SessionUser | null> {
	const [row] = await db.select({ id: users.id, email: users.email, name: users.name }).from(users).where(eq(users.email, email.toLowerCase()));
	return row ?? null;
}

/** Creates a sign-in link token for an existing account; null when there is no account (the caller says nothing). */
export async function createSignInToken(db: Db, email: string, now = Date.now()): Promise<string | null> {
	const user = await findUserByEmail(db, email);
	if (!user) return null;
	const token = generateSessionToken();
	await db.insert(signInTokens).values({
		id: hashToken(token),
		email: user.email,
		userId: user.id,
		expiresAt: now + SIGN_IN_LINK_LIFETIME,
		createdAt: now
	});
	return token;
}

export type SignInTokenState = { status: 'valid'; email: string } | { status: 'used' | 'expired' | 'unknown' };

/** What a sign-in link is, without consuming it (GET of the link: mail scanners open links). */
export async function peekSignInToken(db: Db, token: string, now = Date.now()): Promise<SignInTokenState> {
	const [row] = await db.select().from(signInTokens).where(eq(signInTokens.id, hashToken(token)));
	if (!row) return { status: 'unknown' };
	if (row.consumedAt !== null) return { status: 'used' };
	if (row.expiresAt <= now) return { status: 'expired' };
	return { status: 'valid', email: row.email };
}

/** Consumes a sign-in link once: the user it signs in (and their address is now verified), or why not. */
export async function consumeSignInToken(
	db: Db,
	token: string,
	now = Date.now()
): Promise<{ ok: true; user: SessionUser } | { ok: false; status: 'used' | 'expired' | 'unknown' }> {
	const id = hashToken(token);
	// one conditional UPDATE: of two concurrent POSTs only one sees the row unconsumed
	const [row] = await db
		.update(signInTokens)
		.set({ consumedAt: now })
		.where(and(eq(signInTokens.id, id), isNull(signInTokens.consumedAt), gt(signInTokens.expiresAt, now)))
		.returning({ userId: signInTokens.userId });
	if (!row) {
		const state = await peekSignInToken(db, token, now);
		return { ok: false, status: state.status === 'valid' ? 'used' : state.status };
	}
	await db.update(users).set({ emailVerifiedAt: now }).where(and(eq(users.id, row.userId), isNull(users.emailVerifiedAt)));
	const [user] = await db.select({ id: users.id, email: users.email, name: users.name }).from(users).where(eq(users.id, row.userId));
	if (!user) return { ok: false, status: 'unknown' };
	return { ok: true, user };
}

/** Starts a session for a user, with their first organization (if any) as the current one. */
export async function startSession(db: Db, userId: string, preferredOrgId: string | null = null): Promise<{ token: string; session: SessionInfo }> {
	const orgs = await db
		.select({ orgId: memberships.orgId })
		.from(memberships)
		.where(eq(memberships.userId, userId))
		.orderBy(asc(memberships.createdAt));
	const current = orgs.find((o) => o.orgId === preferredOrgId)?.orgId ?? orgs[0]?.orgId ?? null;
	const token = generateSessionToken();
	const session = await createSession(db, token, userId, current);
	return { token, session };
}

/** Messages for sign-in link states a person may meet. */
export const LinkMessages = {
	used: 'This sign-in link has already been used. Ask for a new one below.',
	expired: 'This sign-in link has expired (links last 15 minutes). Ask for a new one below.',
	unknown: 'This sign-in link is not valid. Ask for a new one below.'
} as const;

/** Answers that must not tell whether an account exists. */
export const AccountMessages = {
	/** the one answer for a wrong password and an unknown address */
	wrongCredentials: 'That email and password do not match an account.',
	/** the one answer to "email me a link", whether or not the account exists */
	linkSent: 'If an account exists for that address, we sent it a sign-in link. It works once, for 15 minutes.',
	emailTaken: 'An account with this email address already exists. Sign in instead, or ask for a sign-in link.'
} as const;
