// The search box's answers (JSON): GET /search?q=… . search.ts parses the query and keeps only
// what the signed-in person may read (computeAccess); a bad query is a 400 with the parser's message.
import { json, type RequestHandler } from '@sveltejs/kit';
import { search } from '$lib/server/search.ts';

export const GET: RequestHandler = async ({ url, locals }) => {
	if (!locals.user) return json({ message: 'Sign in first.' }, { status: 401 });
	const result = await search(locals.app, locals.user.id, url.searchParams.get('q') ?? '');
	if (!result.ok) return json({ message: result.message }, { status: 400 });
	// a person's results are hers alone: never kept by a shared cache or the service worker
	return json({ hits: result.hits }, { headers: { 'cache-control': 'private, no-store' } });
};
