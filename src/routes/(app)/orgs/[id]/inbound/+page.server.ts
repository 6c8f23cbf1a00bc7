import { error, fail } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { getOrganization, getRole } from '$lib/server/orgs.ts';
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
		webhookUrl: `${computeRequestOrigin(event)}/inbound/${org.id}`,
		smtp: smtp ? `${smtp.host}:${smtp.port}` : null
	};
};

export const actions: Actions = {
	rotate: async ({ params, locals }) => {
		const database = locals.app;
		const role = await getRole(database.db, params.id, locals.user!.id);
		if (!role) error(404, 'Organization not found');
		if (role !== 'owner' && role !== 'admin') return fail(403, { message: 'Only owners and admins can change the webhook secret.' });
		return { secret: await rotateInboundSecret(database, params.id) };
	}
};
