import { error, fail, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { canManageMembers } from '$lib/shared/policy.ts';
import { getOrganization, getRole, listMembers, listPendingInvitations } from '$lib/server/orgs.ts';
import { createMemberInvitation, revokeInvitation } from '$lib/server/invitations.ts';
import { parseEmail, parseInviteRole } from '$lib/server/validation.ts';
import { clientIp, mailMemberInvitation, takeAll } from '$lib/server/actions.ts';
import { TOO_MANY } from '$lib/server/rate-limit.ts';

const NOT_FOUND = 'Organization not found';

export const load: PageServerLoad = async ({ params, locals }) => {
	const { db } = locals.app;
	const role = await getRole(db, params.id, locals.user!.id);
	// one answer whether the organization does not exist or the user is not in it
	if (!role) error(404, NOT_FOUND);
	const org = (await getOrganization(db, params.id))!;
	const canManage = canManageMembers(role);
	return {
		org: { id: org.id, name: org.name, inboxAddress: org.inboxAddress },
		role,
		canManage,
		members: await listMembers(db, params.id),
		invitations: canManage ? await listPendingInvitations(db, params.id) : []
	};
};

export const actions: Actions = {
	invite: async (event) => {
		const { request, locals, params } = event;
		if (!locals.user) redirect(303, '/signin');
		const form = await request.formData();
		const email = parseEmail(form.get('email'));
		const emailInput = String(form.get('email') ?? '').slice(0, 300);
		if (!email.ok) return fail(400, { message: email.message, email: emailInput });
		const role = parseInviteRole(form.get('role'));
		if (!role.ok) return fail(400, { message: role.message, email: emailInput });
		if (!await takeAll(locals.app.limiters, [['mailPerIp', clientIp(event)], ['mailPerRecipient', email.value]])) {
			return fail(429, { message: TOO_MANY, email: emailInput });
		}
		const { db } = locals.app;
		const result = await createMemberInvitation(db, { orgId: params.id, inviterId: locals.user.id, email: email.value, role: role.value });
		if (!result.ok) return fail(result.status, { message: result.message, email: emailInput });
		await mailMemberInvitation(db, event, { to: email.value, token: result.token, orgName: result.orgName, inviterName: locals.user.name });
		return { invited: email.value };
	},
	revoke: async ({ request, locals }) => {
		if (!locals.user) redirect(303, '/signin');
		const id = (await request.formData()).get('invitationId');
		const { db } = locals.app;
		if (typeof id !== 'string' || id.length > 100 || !(await revokeInvitation(db, id, locals.user.id))) {
			return fail(400, { message: 'That invitation cannot be withdrawn.' });
		}
		return { revoked: true };
	}
};
