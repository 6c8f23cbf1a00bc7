import { redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { getDatabase } from '$lib/server/db/index.ts';
import { listNotifications, markNotificationsRead } from '$lib/server/notifications.ts';

export const load: PageServerLoad = async ({ locals }) => {
	if (!locals.user) redirect(303, '/signin');
	return { notifications: await listNotifications(await getDatabase(), locals.user.id) };
};

export const actions: Actions = {
	read: async ({ locals }) => {
		if (!locals.user) redirect(303, '/signin');
		await markNotificationsRead(await getDatabase(), locals.user.id);
		return { ok: true };
	}
};
