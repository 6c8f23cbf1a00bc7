import type { Handle, RequestEvent, ServerInit } from '@sveltejs/kit';
import { sequence } from '@sveltejs/kit/hooks';
import { processApp, type App } from '$lib/server/app.ts';
import { SESSION_COOKIE, SESSION_LIFETIME, validateSessionToken } from '$lib/server/auth/session.ts';
import { readConfig } from '$lib/server/config.ts';
import { seedDemoDocuments, seedDemoIfEmpty } from '$lib/server/seed.ts';
import { clearSessionCookie, isSameOriginRequest, setSessionCookie, signInRequiredResponse } from '$lib/server/http.ts';
import { MULTIPART_ALLOWANCE_BYTES, OUTGOING_ATTACHMENT_LIMITS } from '$lib/shared/outgoing-attachments.ts';

let app: App;

/**
 * Takes the process's app: the one server/index.ts made, or under `vite dev` (which does not run
 * server/index.ts) a new one. Also seeds an empty database there (a no-op once seeded).
 */
export const init: ServerInit = async () => {
	app = await processApp(readConfig());
	if (!app.config.seedDemo) return;
	const lines = await seedDemoIfEmpty(app.db);
	if (lines) await seedDemoDocuments(app);
	if (lines) console.log(['Demo data seeded. Sign in with:', ...lines.map((l) => `  ${l}`)].join('\n'));
};

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Largest request body outside the inbound webhook (forms and JSON are a few kilobytes). */
const MAX_BODY_BYTES = 1024 * 1024;
/** A new email or a reply posted with its files (multipart only: JSON and plain forms keep the small cap). */
const ATTACHMENT_POST = /^\/(compose|c\/[^/]+\/reply)\/?$/;
const MAX_ATTACHMENT_POST_BYTES = OUTGOING_ATTACHMENT_LIMITS.maxTotalBytes + MULTIPART_ALLOWANCE_BYTES;

function bodyLimit(event: RequestEvent): number {
	const multipart = (event.request.headers.get('content-type') ?? '').startsWith('multipart/form-data');
	return multipart && ATTACHMENT_POST.test(event.url.pathname) ? MAX_ATTACHMENT_POST_BYTES : MAX_BODY_BYTES;
}

/** Refuses cross-site state-changing requests (form posts and JSON alike) before anything runs. */
const originCheck: Handle = async ({ event, resolve }) => {
	// /inbound/<orgId> is a provider's webhook, authenticated by the org's secret, never by a cookie
	const isWebhook = event.url.pathname.startsWith('/inbound/');
	// BODY_SIZE_LIMIT is raised to an inbound mail's size for the webhook (server/index.ts) and adapter-node
	// applies it everywhere: every other request body is capped here, before a form or JSON is parsed.
	if (UNSAFE_METHODS.has(event.request.method) && !isWebhook) {
		const length = event.request.headers.get('content-length');
		const chunked = length === null && event.request.headers.has('transfer-encoding');
		if (chunked || Number(length ?? 0) > bodyLimit(event)) {
			// the body is left unread: close the connection rather than reuse it
			return new Response('Request body too large.', { status: 413, headers: { 'content-type': 'text/plain; charset=utf-8', connection: 'close' } });
		}
	}
	if (UNSAFE_METHODS.has(event.request.method) && !isWebhook && !isSameOriginRequest(event)) {
		const accept = event.request.headers.get('accept') ?? '';
		const message = 'Cross-site requests are refused. Reload the page and try again.';
		return accept.includes('application/json')
			? new Response(JSON.stringify({ message }), { status: 403, headers: { 'content-type': 'application/json' } })
			: new Response(message, { status: 403, headers: { 'content-type': 'text/plain; charset=utf-8' } });
	}
	return resolve(event);
};

/** Hands the app to every load and action (event.locals.app). */
const provideApp: Handle = ({ event, resolve }) => {
	event.locals.app = app;
	return resolve(event);
};

/** Reads the session cookie into locals; re-sets the cookie when the session's expiry slid forward. */
const authentication: Handle = async ({ event, resolve }) => {
	event.locals.user = null;
	event.locals.session = null;
	const token = event.cookies.get(SESSION_COOKIE);
	if (token) {
		const result = await validateSessionToken(event.locals.app.db, token);
		if (result) {
			event.locals.user = result.user;
			event.locals.session = result.session;
			// sliding renewal: validateSessionToken just extended the session, so the cookie follows
			if (result.session.expiresAt > Date.now() + SESSION_LIFETIME - 60_000) setSessionCookie(event, token, result.session.expiresAt);
		} else {
			clearSessionCookie(event);
		}
	}
	return resolve(event);
};

/**
 * Every page under (app) needs a user: its layout load sends visitors to sign-in, but a POST runs the
 * action without that load, so a signed-out form post is answered here, before any action runs.
 */
const requireSignIn: Handle = ({ event, resolve }) => {
	if (!event.locals.user && UNSAFE_METHODS.has(event.request.method) && event.route.id?.startsWith('/(app)')) return signInRequiredResponse(event);
	return resolve(event);
};

/** Pages that carry a token in their URL: never leak it in a Referer, never cache them. */
function isTokenPage(pathname: string): boolean {
	return pathname.startsWith('/signin/link') || pathname.startsWith('/invite/');
}

/** Defence-in-depth headers; the Content-Security-Policy itself comes from kit.csp in svelte.config.js. */
const securityHeaders: Handle = async ({ event, resolve }) => {
	const response = await resolve(event);
	const h = response.headers;
	h.set('X-Frame-Options', 'DENY');
	h.set('X-Content-Type-Options', 'nosniff');
	h.set('Referrer-Policy', isTokenPage(event.url.pathname) ? 'no-referrer' : 'strict-origin-when-cross-origin');
	if (isTokenPage(event.url.pathname) || event.locals.user) h.set('Cache-Control', 'no-store');
	h.set('Cross-Origin-Opener-Policy', 'same-origin');
	h.set('Permissions-Policy', 'camera=(), microphone=(), geolocation=()');
	return response;
};

export const handle = sequence(provideApp, originCheck, authentication, securityHeaders, requireSignIn);
