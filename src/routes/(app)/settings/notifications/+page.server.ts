import { fail, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { listInboxEntries } from '$lib/server/conversations.ts';
import { readConversationGrant } from '$lib/server/access-facts.ts';
import { isNotificationLevel, readNotificationLevel, readNotificationSettings, writeNotificationSetting } from '$lib/server/notifications.ts';

export const load: PageServerLoad = async ({ locals }) => {
	if (!locals.user) redirect(303, '/signin');
	const database = locals.app;
	const settings = await readNotificationSettings(database, locals.user.id);
	const entries = (await listInboxEntries(database.client, locals.user.id)).sort((a, b) => b.lastActivityAt - a.lastActivityAt);
	const conversations = [];
	for (const e of entries) {
		conversations.push({
			id: e.id,
			subject: e.subject,
			orgName: e.orgName,
			role: e.role,
			setting: settings.get(e.id) ?? null,
			// what applies now, with assignment and role defaults
			effective: await readNotificationLevel(database, locals.user.id, e.id)
		});
	}
	return { defaultLevel: settings.get('') ?? null, conversations };
};

export const actions: Actions = {
	save: async ({ request, locals }) => {
		if (!locals.user) redirect(303, '/signin');
		const database = locals.app;
		const form = await request.formData();
		const conversationId = String(form.get('conversationId') ?? '');
		const raw = String(form.get('level') ?? '');
		const level = raw === 'default' ? null : raw;
		if (level !== null && !isNotificationLevel(level)) return fail(400, { message: 'Choose all activity, mentions only, or none.' });
		if (conversationId !== '') {
			const grant = await readConversationGrant(database.client, locals.user.id, conversationId);
			// one answer whether the conversation does not exist or is not the user's
			if (!grant.actions.notificationSettings) return fail(404, { message: 'Conversation not found.' });
		}
		await writeNotificationSetting(database, locals.user.id, conversationId, level);
		return { ok: true, saved: conversationId };
	}
};
