import type { LayoutServerLoad } from './$types';
import { listUserOrgs, pickCurrentOrg } from '$lib/server/orgs.ts';

export const load: LayoutServerLoad = async ({ locals }) => {
	if (!locals.user || !locals.session) return { user: null, orgs: [], currentOrg: null };
	const { db } = locals.app;
	const orgs = await listUserOrgs(db, locals.user.id);
	return { user: locals.user, orgs, currentOrg: pickCurrentOrg(orgs, locals.session.currentOrgId) };
};
