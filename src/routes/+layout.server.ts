import type { LayoutServerLoad } from './$types';
import { listUserOrgs, pickCurrentOrg } from '$lib/server/orgs.ts';
import { countUnreadNotifications } from '$lib/server/notifications.ts';

export const load: LayoutServerLoad = async ({ locals, url, depends }) => {
	if (!locals.user || !locals.session) return { user: null, orgs: [], currentOrg: null, unreadNotifications: 0 };
	// the menu's unread count is fresh on every navigation (reading the url reruns this load) and
	// whenever a page invalidates 'app:notifications'
	void url.pathname;
	void url.search;
	depends('app:notifications');
	const { db } = locals.app;
	const orgs = await listUserOrgs(db, locals.user.id);
	const unreadNotifications = await countUnreadNotifications(locals.app, locals.user.id);
	return { user: locals.user, orgs, currentOrg: pickCurrentOrg(orgs, locals.session.currentOrgId), unreadNotifications };
};
