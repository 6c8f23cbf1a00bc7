import { redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { listNotifications, markNotificationsRead } from '$lib/server/notifications.ts';

export const load: PageServerLoad = async ({ locals }) => {
	if (!locals.user) redirect(303, '/signin');
	return { notifications: await listNotifications(locals.app, locals.user.id) };
};

export const actions: Actions = {
	read: async ({ locals }) => {
		if (!locals.user) redirect(303, '/signin');
		await markNotificationsRead(locals.app, locals.user.id);
		return { ok: true };
	}
};
