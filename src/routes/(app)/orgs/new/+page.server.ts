import { fail, redirect } from '@sveltejs/kit';
import type { Actions } from './$types';
import { switchOrganization } from '$lib/server/orgs.ts';
import { createOrganizationWithInbox } from '$lib/server/inbox-address.ts';
import { parseOrgName } from '$lib/server/validation.ts';

export const actions: Actions = {
	default: async ({ request, locals }) => {
		if (!locals.user || !locals.session) redirect(303, '/signin');
		const form = await request.formData();
		const name = parseOrgName(form.get('name'));
		if (!name.ok) return fail(400, { message: name.message, name: String(form.get('name') ?? '').slice(0, 200) });
		const { db, config } = locals.app;
		// the inbox address comes with the organization: email works before anyone configures anything
		const org = await createOrganizationWithInbox(db, locals.user.id, name.value, config.inboundDomain);
		await switchOrganization(db, locals.session.id, locals.user.id, org.id);
		redirect(303, '/');
	}
};
