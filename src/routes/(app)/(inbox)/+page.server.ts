import { fail, redirect } from '@sveltejs/kit';
import type { Actions } from './$types';
import { createChannel } from '$lib/server/conversations.ts';

// The inbox page reads the user's replica (u/<id>/inbox) in the browser; only creating a channel
// goes through the server, which checks membership through the policy.
export const actions: Actions = {
	createChannel: async ({ request, locals }) => {
		if (!locals.user) redirect(303, '/signin');
		const form = await request.formData();
		const subject = String(form.get('subject') ?? '');
		const orgId = String(form.get('orgId') ?? '');
		const result = await createChannel(locals.app, locals.user.id, orgId, subject, locals.user.name);
		if (!result.ok) return fail(result.status, { message: result.message, subject: subject.slice(0, 200) });
		redirect(303, `/c/${result.id}`);
	}
};
