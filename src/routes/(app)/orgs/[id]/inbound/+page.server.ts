import { error, fail, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { getOrganization, getRole } from '$lib/server/orgs.ts';
import { changeInboxAddress } from '$lib/server/inbox-address.ts';
import { canChangeInboxAddress } from '$lib/shared/policy.ts';
import { rotateInboundSecret } from '$lib/server/mail/inbound.ts';
import { readSmtpListenConfig } from '$lib/server/mail/smtp-listener.ts';
import { computeRequestOrigin } from '$lib/server/http.ts';

// Email in for an organization: its inbox address, the SMTP listener, and the webhook secret
// (only its hash is stored: a new secret is shown once, to owners and admins).
export const load: PageServerLoad = async (event) => {
	const { db } = event.locals.app;
	const role = await getRole(db, event.params.id, event.locals.user!.id);
	if (!role) error(404, 'Organization not found');
	const org = (await getOrganization(db, event.params.id))!;
	const smtp = readSmtpListenConfig();
	return {
		org: { id: org.id, name: org.name, inboxAddress: org.inboxAddress, hasSecret: !!org.inboundSecretHash },
		canManage: role === 'owner' || role === 'admin',
		canChangeAddress: canChangeInboxAddress(role),
		inboundDomain: event.locals.app.config.inboundDomain,
		webhookUrl: `${computeRequestOrigin(event)}/inbound/${org.id}`,
		smtp: smtp ? `${smtp.host}:${smtp.port}` : null
	};
};

export const actions: Actions = {
	address: async ({ params, locals, request }) => {
		if (!locals.user) redirect(303, '/signin');
		const { db, config } = locals.app;
		const role = await getRole(db, params.id, locals.user.id);
		if (!role) error(404, 'Organization not found');
		const form = await request.formData();
		const typed = String(form.get('address') ?? '').slice(0, 300);
		if (!canChangeInboxAddress(role)) return fail(403, { addressMessage: 'Only owners can change the inbox address.', address: typed });
		const result = await changeInboxAddress(db, params.id, form.get('address'), config.inboundDomain);
		if (!result.ok) return fail(result.status, { addressMessage: result.message, address: typed });
		return { addressSaved: result.address };
	},
	rotate: async ({ params, locals }) => {
		const database = locals.app;
		const role = await getRole(database.db, params.id, locals.user!.id);
		if (!role) error(404, 'Organization not found');
		if (role !== 'owner' && role !== 'admin') return fail(403, { message: 'Only owners and admins can change the webhook secret.' });
		return { secret: await rotateInboundSecret(database, params.id) };
	}
};
