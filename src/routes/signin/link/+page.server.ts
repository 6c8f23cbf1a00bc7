import { fail, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { consumeSignInToken, LinkMessages, peekSignInToken, startSession } from '$lib/server/auth/accounts.ts';
import { setSessionCookie } from '$lib/server/http.ts';
import { parseToken } from '$lib/server/validation.ts';
import { clientIp, takeAll } from '$lib/server/actions.ts';
import { TOO_MANY } from '$lib/server/rate-limit.ts';

// GET shows a confirm page and consumes nothing (mail scanners open links); only the POST signs in.
export const load: PageServerLoad = async ({ url, locals }) => {
	const token = parseToken(url.searchParams.get('token'));
	if (!token.ok) return { token: null, email: null, message: LinkMessages.unknown };
	const { db } = locals.app;
	const state = await peekSignInToken(db, token.value);
	if (state.status !== 'valid') return { token: null, email: null, message: LinkMessages[state.status] };
	return { token: token.value, email: state.email, message: null };
};

export const actions: Actions = {
	default: async (event) => {
		const token = parseToken((await event.request.formData()).get('token'));
		if (!token.ok) return fail(400, { message: LinkMessages.unknown });
		if (!await takeAll(event.locals.app.limiters, [['signInPerIp', clientIp(event)]])) return fail(429, { message: TOO_MANY });
		const { db } = event.locals.app;
		const result = await consumeSignInToken(db, token.value);
		if (!result.ok) return fail(400, { message: LinkMessages[result.status] });
		const { token: sessionToken, session } = await startSession(db, result.user.id, event.locals.session?.currentOrgId ?? null);
		setSessionCookie(event, sessionToken, session.expiresAt);
		redirect(303, '/');
	}
};
