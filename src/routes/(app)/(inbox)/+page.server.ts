import type { PageServerLoad } from './$types';
import { getDatabase } from '$lib/server/db/index.ts';
import { listConversations, listUserOrgs, pickCurrentOrg } from '$lib/server/orgs.ts';

// Placeholder home: the current organization's conversations (the real inbox replaces this page).
export const load: PageServerLoad = async ({ locals }) => {
	const { db } = await getDatabase();
	const orgs = await listUserOrgs(db, locals.user!.id);
	const org = pickCurrentOrg(orgs, locals.session!.currentOrgId);
	return { conversations: org ? await listConversations(db, org.id) : [] };
};
