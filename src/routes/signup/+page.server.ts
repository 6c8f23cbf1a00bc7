import { fail, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { AccountMessages, createUser, startSession } from '$lib/server/auth/accounts.ts';
import { setSessionCookie } from '$lib/server/http.ts';
import { parseEmail, parseName, parseNewPassword, parseRedirect } from '$lib/server/validation.ts';
import { clientIp, takeAll } from '$lib/server/actions.ts';
import { TOO_MANY } from '$lib/server/rate-limit.ts';

export const load: PageServerLoad = ({ locals, url }) => {
	if (locals.user) redirect(303, parseRedirect(url.searchParams.get('redirectTo')));
	return { redirectTo: parseRedirect(url.searchParams.get('redirectTo')) };
};

export const actions: Actions = {
	default: async (event) => {
		const form = await event.request.formData();
		// echo back only what is safe to show again, never the password
		const echo = { name: String(form.get('name') ?? '').slice(0, 200), email: String(form.get('email') ?? '').slice(0, 300) };
		const name = parseName(form.get('name'));
		if (!name.ok) return fail(400, { ...echo, field: 'name', message: name.message });
		const email = parseEmail(form.get('email'));
		if (!email.ok) return fail(400, { ...echo, field: 'email', message: email.message });
		const password = parseNewPassword(form.get('password'));
		if (!password.ok) return fail(400, { ...echo, field: 'password', message: password.message });
		if (!await takeAll(event.locals.app.limiters, [['signUpPerIp', clientIp(event)]])) return fail(429, { ...echo, field: null, message: TOO_MANY });

		const { db } = event.locals.app;
		const result = await createUser(db, { name: name.value, email: email.value, password: password.value });
		if (!result.ok) {
			return fail(400, {
				...echo,
				field: 'email',
				message: AccountMessages.emailTaken
			});
		}
		const { token, session } = await startSession(db, result.user.id);
		setSessionCookie(event, token, session.expiresAt);
		redirect(303, parseRedirect(form.get('redirectTo')));
	}
};
