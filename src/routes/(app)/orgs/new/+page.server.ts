import { fail, redirect } from '@sveltejs/kit';
import type { Actions } from './$types';
import { createOrganization, switchOrganization } from '$lib/server/orgs.ts';
import { parseOrgName } from '$lib/server/validation.ts';

export const actions: Actions = {
	default: async ({ request, locals }) => {
		if (!locals.user || !locals.session) redirect(303, '/signin');
		const form = await request.formData();
		const name = parseOrgName(form.get('name'));
		if (!name.ok) return fail(400, { message: name.message, name: String(form.get('name') ?? '').slice(0, 200) });
		const { db } = locals.app;
		const org = await createOrganization(db, locals.user.id, name.value);
		await switchOrganization(db, locals.session.id, locals.user.id, org.id);
		redirect(303, '/');
	}
};
