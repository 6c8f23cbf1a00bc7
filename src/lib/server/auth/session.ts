import { sha256 } from '@oslojs/crypto/sha2';
import { encodeBase32LowerCaseNoPadding, encodeHexLowerCase } from '@oslojs/encoding';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { sessions, users } from '../db/schema.ts';

// Sessions in the Lucia guide's style: a random token in the cookie, only its SHA-256 in the database.

export const SESSION_COOKIE = 'parley_session';
const DAY = 24 * 60 * 60 * 1000;
export const SESSION_LIFETIME = 30 * DAY;
/** Sliding expiry: a session used in its last 15 days is extended to a full 30. */
const RENEW_WITHIN = 15 * DAY;

export interface SessionUser {
	id: string;
	email: string;
	name: string;
}
export interface SessionInfo {
	id: string;
	userId: string;
	expiresAt: number;
	currentOrgId: string | null;
}
export type SessionValidation = { session: SessionInfo; user: SessionUser } | null;

/** A new random session token (160 bits, base32). */
export function generateSessionToken(): string {
	const bytes = crypto.getRandomValues(new Uint8Array(20));
	return encodeBase32LowerCaseNoPadding(bytes);
}

/** The stored id of a token: SHA-256, hex. Also used for every emailed token. */
export function hashToken(token: string): string {
	return encodeHexLowerCase(sha256(new TextEncoder().encode(token)));
}

export async function createSession(db: Db, token: string, userId: string, currentOrgId: string | null = null): Promise<SessionInfo> {
	const now = Date.now();
	const session: SessionInfo = { id: hashToken(token), userId, expiresAt: now + SESSION_LIFETIME, currentOrgId };
	await db.insert(sessions).values({ ...session, createdAt: now });
	return session;
}

/** The session and user for a cookie token, or null; extends the session when it is in its second half. */
export async function validateSessionToken(db: Db, token: string): Promise<SessionValidation> {
	if (!/^[a-z2-7]{32}$/.test(token)) return null;
	const id = hashToken(token);
	const rows = await db
		.select({ session: sessions, user: { id: users.id, email: users.email, name: users.name } })
		.from(sessions)
		.innerJoin(users, eq(sessions.userId, users.id))
		.where(eq(sessions.id, id));
	const row = rows[0];
	if (!row) return null;
	const now = Date.now();
	if (now >= row.session.expiresAt) {
		await db.delete(sessions).where(eq(sessions.id, id));
		return null;
	}
	let expiresAt = row.session.expiresAt;
	if (now >= expiresAt - RENEW_WITHIN) {
		expiresAt = now + SESSION_LIFETIME;
		await db.update(sessions).set({ expiresAt }).where(eq(sessions.id, id));
	}
	const { id: sid, userId, currentOrgId } = row.session;
	return { session: { id: sid, userId, expiresAt, currentOrgId }, user: row.user };
}

export async function invalidateSession(db: Db, sessionId: string): Promise<void> {
	await db.delete(sessions).where(eq(sessions.id, sessionId));
}

/** Ends every session of a user ("sign out everywhere"). */
export async function invalidateUserSessions(db: Db, userId: string): Promise<void> {
	await db.delete(sessions).where(eq(sessions.userId, userId));
}

/** Reads one cookie from a Cookie header (for the WebSocket upgrade, which has no SvelteKit `cookies`). */
export function readCookie(header: string | undefined, name: string): string | null {
	if (!header) return null;
	for (const part of header.split(';')) {
		const eq = part.indexOf('=');
		if (eq < 0) continue;
		if (part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
	}
	return null;
}
