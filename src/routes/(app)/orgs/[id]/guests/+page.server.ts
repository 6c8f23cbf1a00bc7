import { error, fail } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import type { Db } from '$lib/server/db/index.ts';
import { getRole } from '$lib/server/orgs.ts';
import { canManageMembers } from '$lib/shared/policy.ts';
import { listConversationGuestSwitches, listOrgGuests, listPendingGuestInvitations } from '$lib/server/guests/listings.ts';
import { removeGuest, revokeGuestInvitation } from '$lib/server/guests/removal.ts';
import { readOrgGuestSettings, setConversationGuestsAllowed, updateOrgGuestSettings } from '$lib/server/guests/settings.ts';

// The organization's guest settings (owners and admins): the org-wide switch, who may invite, the
// limits, every guest with their conversations and inviter, pending invitations, removal.

const NOT_FOUND = 'Organization not found';

async function requireAdmin(db: Db, orgId: string, userId: string) {
	const role = await getRole(db, orgId, userId);
	// one answer for a missing organization and one the user may not manage
	if (!canManageMembers(role)) error(404, NOT_FOUND);
}

export const load: PageServerLoad = async ({ params, locals }) => {
	await requireAdmin(locals.app.db, params.id, locals.user!.id);
	const { db } = locals.app;
	const settings = (await readOrgGuestSettings(db, params.id))!;
	return {
		org: { id: params.id, name: settings.name },
		settings,
		guests: await listOrgGuests(db, params.id),
		invitations: await listPendingGuestInvitations(db, { orgId: params.id }),
		conversations: await listConversationGuestSwitches(db, params.id)
	};
};

function parseLimit(raw: FormDataEntryValue | null): number | null {
	const n = Number(raw);
	return Number.isInteger(n) && n >= 0 && n <= 1000 ? n : null;
}

export const actions: Actions = {
	settings: async ({ request, locals, params }) => {
		const form = await request.formData();
		const whoMayInvite = form.get('whoMayInvite');
		const guestsPerInviter = parseLimit(form.get('guestsPerInviter'));
		const conversationsPerGuest = parseLimit(form.get('conversationsPerGuest'));
		if (whoMayInvite !== 'members' && whoMayInvite !== 'admins') return fail(400, { message: 'Choose who may invite guests: members or admins.' });
		if (guestsPerInviter === null || conversationsPerGuest === null) return fail(400, { message: 'Limits are whole numbers from 0 to 1000.' });
		const result = await updateOrgGuestSettings(locals.app, locals.user!.id, params.id, {
			guestsAllowed: form.get('guestsAllowed') === 'yes',
			whoMayInvite,
			guestsPerInviter,
			conversationsPerGuest
		});
		if (!result.ok) return fail(result.status, { message: result.message });
		return { message: 'Guest settings saved.' };
	},
	conversation: async ({ request, locals }) => {
		const form = await request.formData();
		const result = await setConversationGuestsAllowed(
			locals.app,
			locals.user!.id,
			String(form.get('conversationId') ?? ''),
			form.get('allowed') === 'yes'
		);
		if (!result.ok) return fail(result.status, { message: result.message });
		return { message: 'Conversation updated.' };
	},
	remove: async ({ request, locals, params }) => {
		const form = await request.formData();
		const where = String(form.get('conversationId') ?? '');
		const result = await removeGuest(locals.app, {
			actorId: locals.user!.id,
			guestId: String(form.get('guestId') ?? ''),
			orgId: params.id,
			conversationId: where === 'everywhere' ? null : where
		});
		if (!result.ok) return fail(result.status, { message: result.message });
		return { message: where === 'everywhere' ? 'Guest removed from every conversation.' : 'Guest removed from the conversation.' };
	},
	revokeInvitation: async ({ request, locals }) => {
		const id = String((await request.formData()).get('invitationId') ?? '');
		const done = await revokeGuestInvitation(locals.app, locals.user!.id, id);
		if (!done) return fail(400, { message: 'This invitation cannot be withdrawn (already used or withdrawn).' });
		return { message: 'Invitation withdrawn.' };
	}
};
