/// <reference types="@sveltejs/kit" />
/// <reference no-default-lib="true"/>
/// <reference lib="esnext" />
/// <reference lib="webworker" />
// Offline app shell (DESIGN.md §6). Built assets and static files are precached per version.
// Pages and their `__data.json` are fetched from the network first and kept per URL, so a signed-in
// user who loaded the app once can reload it with no network: the page hydrates from the last
// response and then reads everything else from the IndexedDB replica.
import { build, files, version } from '$service-worker';

const sw = self as unknown as ServiceWorkerGlobalScope;
const ASSETS = `parley-assets-${version}`;
/** Pages and page data: not versioned (they are per user and must survive an app update offline). */
const PAGES = 'parley-pages';
const precached = new Set([...build, ...files]);

sw.addEventListener('install', (event) => {
	event.waitUntil(
		caches
			.open(ASSETS)
			.then((cache) => cache.addAll([...precached]))
			.then(() => sw.skipWaiting())
	);
});

sw.addEventListener('activate', (event) => {
	event.waitUntil(
		(async () => {
			for (const key of await caches.keys()) if (key.startsWith('parley-assets-') && key !== ASSETS) await caches.delete(key);
			await sw.clients.claim();
		})()
	);
});

sw.addEventListener('message', (event) => {
	// signed out: nobody may reopen this user's pages from the cache
	if (event.data === 'clear-pages') event.waitUntil(caches.delete(PAGES));
	// access to one conversation ended: its page, its data and its subpages are no longer this user's
	else if (typeof event.data?.forgetPages === 'string' && /^\/c\/[A-Za-z0-9_-]{1,64}$/.test(event.data.forgetPages)) {
		event.waitUntil(forgetPages(event.data.forgetPages));
	}
});

async function forgetPages(prefix: string): Promise<void> {
	if (!(await caches.has(PAGES))) return;
	await deleteKept(await caches.open(PAGES), (path) => path === prefix || path.startsWith(prefix + '/'));
}

/** Deletes every kept response whose address has a path `matches` accepts (any query). */
async function deleteKept(cache: Cache, matches: (path: string) => boolean): Promise<void> {
	for (const request of await cache.keys()) if (matches(new URL(request.url).pathname)) await cache.delete(request);
}

/** Pages whose responses are never kept: they carry tokens or belong to no user. */
function isUncacheable(url: URL): boolean {
	return ['/signin', '/signup', '/signout', '/invite', '/dev', '/sync'].some((p) => url.pathname === p || url.pathname.startsWith(p + '/'));
}

async function networkFirst(request: Request, url: URL): Promise<Response> {
	const cache = await caches.open(PAGES);
	try {
		const response = await fetch(request);
		// only a complete same-origin answer is worth replaying later (no redirects, no errors)
		if (response.ok && response.type === 'basic' && !response.redirected) await cache.put(request, response.clone());
		// the server no longer gives this user that page (access ended, conversation gone): nor does the cache
		else if ([401, 403, 404, 410].includes(response.status)) await deleteKept(cache, (path) => path === url.pathname);
		return response;
	} catch (err) {
		// by address alone: a page fetched ahead (Accept: text/html) answers a navigation to it, whatever
		// the navigation's own Accept and the response's Vary say
		const hit = (await cache.match(request, { ignoreVary: true })) ?? (request.mode === 'navigate' ? await cache.match(url.pathname, { ignoreVary: true }) : undefined);
		if (hit) return hit;
		if (url.pathname.endsWith('/__data.json')) {
			const loose = await cache.match(request, { ignoreSearch: true, ignoreVary: true });
			if (loose) return loose;
		}
		throw err;
	}
}

sw.addEventListener('fetch', (event) => {
	const request = event.request;
	if (request.method !== 'GET') return;
	const url = new URL(request.url);
	if (url.origin !== sw.location.origin || isUncacheable(url)) return;

	if (precached.has(url.pathname)) {
		event.respondWith(caches.match(url.pathname).then((hit) => hit ?? fetch(request)));
		return;
	}
	if (request.mode === 'navigate' || url.pathname.endsWith('/__data.json') || request.headers.get('accept')?.includes('text/html')) {
		event.respondWith(networkFirst(request, url));
	}
});
