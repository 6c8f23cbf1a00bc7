import { fail, redirect } from '@sveltejs/kit';
import type { Actions } from './$types';
import { switchOrganization } from '$lib/server/orgs.ts';


export const actions: Actions = {
	default: async ({ request, locals }) => {
		if (!locals.user || !locals.session) redirect(303, '/signin');
		const orgId = (await request.formData()).get('orgId');
		if (typeof orgId !== 'string' || orgId.length > 100) return fail(400, { message: 'Choose an organization.' });
		const { db } = locals.app;
		// only organizations the user belongs to; one answer whether or not the id exists
		if (!(await switchOrganization(db, locals.session.id, locals.user.id, orgId))) {
			return fail(400, { message: 'You are not a member of that organization.' });
		}
		redirect(303, '/');
	}
};
