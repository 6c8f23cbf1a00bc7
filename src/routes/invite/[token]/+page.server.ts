import { error, fail, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { applyAccessChange } from '$lib/server/access-change.ts';
import { acceptMemberInvitation, InvitationMessages, readInvitation } from '$lib/server/invitations.ts';
import { AccountMessages, createUser, startSession } from '$lib/server/auth/accounts.ts';
import { switchOrganization } from '$lib/server/orgs.ts';
import { setSessionCookie } from '$lib/server/http.ts';
import { parseToken } from '$lib/server/validation.ts';
import { readSignupForm, takeTokenHit } from '$lib/server/invitation-forms.ts';
import { TOO_MANY } from '$lib/server/rate-limit.ts';
import { invalidateSession } from '$lib/server/auth/session.ts';

// GET shows what the invitation is and consumes nothing; the POSTs accept it. Every request counts
// against the per-IP invitation-token limit (as for guest links), so guessing tokens runs out quickly.

export const load: PageServerLoad = async (event) => {
	if (!(await takeTokenHit(event))) error(429, TOO_MANY);
	const { params } = event;
	const token = parseToken(params.token);
	if (!token.ok) return { invitation: null, message: InvitationMessages.unknown };
	const { db } = event.locals.app;
	const view = await readInvitation(db, token.value);
	if (view.status !== 'valid') return { invitation: null, message: InvitationMessages[view.status] };
	return {
		invitation: { orgName: view.orgName!, email: view.email!, role: view.role!, inviterName: view.inviterName ?? null },
		message: null
	};
};

export const actions: Actions = {
	/** A signed-in user accepts; a different address needs the explicit confirmation box. */
	accept: async (event) => {
		const { params, request, locals } = event;
		if (!(await takeTokenHit(event))) return fail(429, { message: TOO_MANY });
		if (!locals.user || !locals.session) return fail(400, { message: 'Sign in first, then accept the invitation.' });
		const token = parseToken(params.token);
		if (!token.ok) return fail(400, { message: InvitationMessages.unknown });
		const confirm = (await request.formData()).get('confirmDifferentEmail') === 'yes';
		const { db } = event.locals.app;
		const result = await acceptMemberInvitation(db, token.value, locals.user, { confirmDifferentEmail: confirm });
		if (!result.ok) return fail(result.status, { message: result.message });
		// open sockets learn the new role; the inbox lists the organization's conversations
		await applyAccessChange(locals.app, { kind: 'person', userId: locals.user.id });
		await switchOrganization(db, locals.session.id, locals.user.id, result.orgId);
		redirect(303, '/');
	},
	/** A visitor without an account signs up with the invited address (which the link proves) and joins. */
	signup: async (event) => {
		const { params, locals } = event;
		if (!(await takeTokenHit(event))) return fail(429, { message: TOO_MANY });
		const token = parseToken(params.token);
		if (!token.ok) return fail(400, { message: InvitationMessages.unknown });
		const signup = await readSignupForm(event);
		if (!signup.ok) return fail(signup.status, signup.body);
		const { echo } = signup;

		const { db } = event.locals.app;
		const view = await readInvitation(db, token.value);
		if (view.status !== 'valid') return fail(400, { ...echo, message: InvitationMessages[view.status] });
		const created = await createUser(db, { name: signup.name, email: view.email!, password: signup.password, verified: true });
		if (!created.ok) return fail(400, { ...echo, message: AccountMessages.emailTaken });
		const accepted = await acceptMemberInvitation(db, token.value, created.user);
		if (!accepted.ok) return fail(accepted.status, { ...echo, message: accepted.message });
		await applyAccessChange(locals.app, { kind: 'person', userId: created.user.id });
		// a visitor who was signed in as someone else leaves that session behind on this browser
		if (locals.session) await invalidateSession(db, locals.session.id);
		const { token: sessionToken, session } = await startSession(db, created.user.id, accepted.orgId);
		setSessionCookie(event, sessionToken, session.expiresAt);
		redirect(303, '/');
	}
};
