import { redirect } from '@sveltejs/kit';
import type { LayoutServerLoad } from './$types';

// Everything in (app) needs a signed-in user; visitors go to /signin and come back afterwards.
export const load: LayoutServerLoad = async ({ locals, url }) => {
	if (!locals.user) {
		const back = url.pathname === '/' ? '' : `?redirectTo=${encodeURIComponent(url.pathname + url.search)}`;
		redirect(303, `/signin${back}`);
	}
	return {};
};
