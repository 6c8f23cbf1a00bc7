import { fail, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { AccountMessages, authenticate, createSignInToken, startSession } from '$lib/server/auth/accounts.ts';
import { setSessionCookie } from '$lib/server/http.ts';
import { parseEmail, parsePassword, parseRedirect } from '$lib/server/validation.ts';
import { clientIp, mailSignInLink, takeAll } from '$lib/server/actions.ts';
import { TOO_MANY } from '$lib/server/rate-limit.ts';


export const load: PageServerLoad = ({ locals, url }) => {
	const redirectTo = parseRedirect(url.searchParams.get('redirectTo'));
	if (locals.user) redirect(303, redirectTo);
	return { redirectTo, signedOutEverywhere: url.searchParams.get('signedOut') === 'everywhere' };
};

export const actions: Actions = {
	password: async (event) => {
		const form = await event.request.formData();
		const echo = { mode: 'password' as const, email: String(form.get('email') ?? '').slice(0, 300) };
		const email = parseEmail(form.get('email'));
		if (!email.ok) return fail(400, { ...echo, message: email.message });
		const password = parsePassword(form.get('password'));
		if (!password.ok) return fail(400, { ...echo, message: password.message });
		if (!await takeAll(event.locals.app.limiters, [['signInPerIp', clientIp(event)], ['signInPerEmail', email.value]])) return fail(429, { ...echo, message: TOO_MANY });

		const { db } = event.locals.app;
		const user = await authenticate(db, email.value, password.value);
		if (!user) return fail(400, { ...echo, message: AccountMessages.wrongCredentials });
		await event.locals.app.limiters.signInPerEmail.reset(email.value);
		const { token, session } = await startSession(db, user.id);
		setSessionCookie(event, token, session.expiresAt);
		redirect(303, parseRedirect(form.get('redirectTo')));
	},
	link: async (event) => {
		const form = await event.request.formData();
		const echo = { mode: 'link' as const, email: String(form.get('email') ?? '').slice(0, 300) };
		const email = parseEmail(form.get('email'));
		if (!email.ok) return fail(400, { ...echo, message: email.message });
		if (!await takeAll(event.locals.app.limiters, [['mailPerIp', clientIp(event)], ['mailPerRecipient', email.value]])) return fail(429, { ...echo, message: TOO_MANY });

		const { db } = event.locals.app;
		const token = await createSignInToken(db, email.value);
		if (token) await mailSignInLink(db, event, email.value, token);
		return { ...echo, sent: true, message: AccountMessages.linkSent };
	}
};
