import { error } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';
import { getOrganization, getRole } from '$lib/server/orgs.ts';
import { computeOrgDocAccess } from '$lib/shared/policy.ts';

// Canned responses of an organization: the page only says which organization; the responses
// themselves are its `o/<id>/canned` document and the member's own `private` one, synced by the
// tab's replica (so they are there offline). Members only, by the same grant the relay applies.
export const load: PageServerLoad = async (event) => {
	const { db } = event.locals.app;
	const role = await getRole(db, event.params.id, event.locals.user!.id);
	if (!computeOrgDocAccess(role, 'canned').read) error(404, 'Organization not found');
	const org = (await getOrganization(db, event.params.id))!;
	return { org: { id: org.id, name: org.name } };
};
