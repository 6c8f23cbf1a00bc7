import { redirect } from '@sveltejs/kit';
import type { LayoutServerLoad } from './$types';
import { syncInbox } from '$lib/server/conversations.ts';

// Everything in (app) needs a signed-in user; visitors go to /signin and come back afterwards.
export const load: LayoutServerLoad = async ({ locals, url }) => {
	if (!locals.user) {
		const back = url.pathname === '/' ? '' : `?redirectTo=${encodeURIComponent(url.pathname + url.search)}`;
		redirect(303, `/signin${back}`);
	}
	try {
		// the inbox document is the list every page reads; bring it in line with what the user may open
		await syncInbox(locals.app, locals.user.id);
	} catch (err) {
		// the page still works from the replica; the next load or server change catches up
		console.error('syncInbox failed', err);
	}
	return {};
};
