import { error, fail, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { InvitationMessages } from '$lib/server/invitations.ts';
import { acceptGuestInvitation, createGuestAccount } from '$lib/server/guests/acceptance.ts';
import { readGuestInvitation } from '$lib/server/guests/invitations.ts';
import { startSession } from '$lib/server/auth/accounts.ts';
import { invalidateSession } from '$lib/server/auth/session.ts';
import { setSessionCookie } from '$lib/server/http.ts';
import { parseToken } from '$lib/server/validation.ts';
import { readSignupForm, takeTokenHit } from '$lib/server/invitation-forms.ts';
import { TOO_MANY } from '$lib/server/rate-limit.ts';

// A guest invitation link. GET shows the conversation's subject and organization (never who else
// takes part) and consumes nothing; only the POSTs accept. Every request counts against the
// per-IP token limit, so guessing tokens runs out quickly.


export const load: PageServerLoad = async (event) => {
	if (!(await takeTokenHit(event))) error(429, TOO_MANY);
	const token = parseToken(event.params.token);
	if (!token.ok) return { invitation: null, message: InvitationMessages.unknown };
	const { db } = event.locals.app;
	const view = await readGuestInvitation(db, token.value);
	if (view.status !== 'valid') return { invitation: null, message: InvitationMessages[view.status] };
	return {
		invitation: { orgName: view.orgName!, subject: view.subject!, email: view.email!, inviterName: view.inviterName ?? null },
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
		const database = event.locals.app;
		const result = await acceptGuestInvitation(database, token.value, locals.user, { confirmDifferentEmail: confirm });
		if (!result.ok) return fail(result.status, { message: result.message, needsConfirmation: result.needsConfirmation ?? false });
		// on the conversation, listed under "Shared with you" (not beside her own organization's inbox)
		redirect(303, `/c/${result.conversationId}?folder=shared`);
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

		const database = event.locals.app;
		const { db } = database;
		const view = await readGuestInvitation(db, token.value);
		if (view.status !== 'valid') return fail(400, { ...echo, message: InvitationMessages[view.status] });
		const created = await createGuestAccount(database, { name: signup.name, email: view.email!, password: signup.password });
		if (!created.ok) return fail(created.status, { ...echo, message: created.message });
		const accepted = await acceptGuestInvitation(database, token.value, created.user);
		if (!accepted.ok) return fail(accepted.status, { ...echo, message: accepted.message });
		// a visitor who was signed in as someone else leaves that session behind on this browser
		if (locals.session) await invalidateSession(db, locals.session.id);
		const { token: sessionToken, session } = await startSession(db, created.user.id);
		setSessionCookie(event, sessionToken, session.expiresAt);
		redirect(303, `/c/${accepted.conversationId}?folder=shared`);
	}
};
