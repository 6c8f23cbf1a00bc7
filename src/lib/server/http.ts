import type { IncomingMessage } from 'node:http';
import type { Cookies, RequestEvent } from '@sveltejs/kit';
import { readConfig } from './config.ts';
import { SESSION_COOKIE } from './auth/session.ts';

// Request facts that adapter-node gets wrong without ORIGIN: it assumes https, so url.origin of a
// plain-http request on localhost says https. We read the real scheme from the socket instead.

type EventLike = Pick<RequestEvent, 'url' | 'request'> & { platform?: unknown };

function nodeRequest(event: EventLike): IncomingMessage | null {
	const req = (event.platform as { req?: IncomingMessage } | undefined)?.req;
	return req && typeof req === 'object' && 'socket' in req ? req : null;
}

/** Whether the browser reached us over https (directly, or through a proxy that says so). */
export function isHttpsRequest(event: EventLike): boolean {
	const config = readConfig();
	if (config.origin) return config.origin.startsWith('https:');
	const req = nodeRequest(event);
	if (!req) return event.url.protocol === 'https:'; // vite dev: the url is right
	if ((req.socket as { encrypted?: boolean }).encrypted) return true;
	return event.request.headers.get('x-forwarded-proto')?.split(',')[0].trim() === 'https';
}

/** The origin the browser sees (for links in mail and the Origin check). */
export function computeRequestOrigin(event: EventLike): string {
	const config = readConfig();
	if (config.origin) return config.origin;
	const host = event.request.headers.get('host') ?? event.url.host;
	return `${isHttpsRequest(event) ? 'https' : 'http'}://${host}`;
}

/**
 * Whether a state-changing request comes from our own pages. Browsers send Origin on every
 * cross-site POST; a missing Origin is refused too. (Replaces SvelteKit's check, which compares
 * against adapter-node's guessed https origin.)
 */
export function isSameOriginRequest(event: EventLike): boolean {
	const origin = event.request.headers.get('origin');
	if (!origin || origin === 'null') return false;
	return origin === computeRequestOrigin(event);
}

/** Sets the session cookie: HttpOnly, SameSite=Lax, Path=/, Secure over https. */
export function setSessionCookie(event: EventLike & { cookies: Cookies }, token: string, expiresAt: number): void {
	event.cookies.set(SESSION_COOKIE, token, {
		httpOnly: true,
		sameSite: 'lax',
		path: '/',
		secure: isHttpsRequest(event),
		expires: new Date(expiresAt)
	});
}

export function clearSessionCookie(event: EventLike & { cookies: Cookies }): void {
	event.cookies.delete(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure: isHttpsRequest(event) });
}

/** Whether a client address is this machine's own (IPv4 127/8, IPv6 ::1, or IPv4-mapped 127/8). */
export function isLoopbackAddress(address: string): boolean {
	return address === '::1' || /^127\.\d+\.\d+\.\d+$/.test(address) || /^::ffff:127\.\d+\.\d+\.\d+$/i.test(address);
}

/**
 * The answer to a signed-out state-changing request to a page of the app (its form actions
 * assume a user): a form post goes to sign-in (303, back to the page afterwards); an enhanced form
 * (`x-sveltekit-action`) or any JSON request gets 401, with an action result that sends the page to
 * sign-in, so SvelteKit's `enhance` navigates there instead of showing an error.
 */
export function signInRequiredResponse(event: Pick<RequestEvent, 'url' | 'request'>): Response {
	const back = event.url.pathname === '/' ? '/signin' : `/signin?redirectTo=${encodeURIComponent(event.url.pathname)}`;
	const headers = event.request.headers;
	if (headers.get('x-sveltekit-action') === 'true')
		return new Response(JSON.stringify({ type: 'redirect', status: 303, location: back }), { status: 401, headers: { 'content-type': 'application/json' } });
	if ((headers.get('accept') ?? '').includes('application/json') || (headers.get('content-type') ?? '').includes('application/json'))
		return new Response(JSON.stringify({ message: 'Sign in first.' }), { status: 401, headers: { 'content-type': 'application/json' } });
	return new Response(null, { status: 303, headers: { location: back } });
}
