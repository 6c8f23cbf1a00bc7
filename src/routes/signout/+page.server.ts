import { redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { invalidateSession, invalidateUserSessions } from '$lib/server/auth/session.ts';
import { clearSessionCookie } from '$lib/server/http.ts';
import { applyAccessChange } from '$lib/server/access-change.ts';

export const load: PageServerLoad = () => redirect(303, '/');

export const actions: Actions = {
	/** Ends this session. */
	current: async (event) => {
		if (event.locals.session) {
			const { db } = event.locals.app;
			await invalidateSession(db, event.locals.session.id);
			// open sockets of this session end now, not at their next reconnect
			await applyAccessChange(event.locals.app, { kind: 'sessions-ended', sessionId: event.locals.session.id });
		}
		clearSessionCookie(event);
		redirect(303, '/signin');
	},
	/** Ends every session of this user, on every device. */
	everywhere: async (event) => {
		if (event.locals.user) {
			const { db } = event.locals.app;
			await invalidateUserSessions(db, event.locals.user.id);
			await applyAccessChange(event.locals.app, { kind: 'sessions-ended', userId: event.locals.user.id });
		}
		clearSessionCookie(event);
		redirect(303, '/signin?signedOut=everywhere');
	}
};
