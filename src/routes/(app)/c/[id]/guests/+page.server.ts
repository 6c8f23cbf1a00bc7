import { error, fail } from '@sveltejs/kit';
import { and, eq } from 'drizzle-orm';
import type { Actions, PageServerLoad } from './$types';
import { conversationParticipants, users } from '$lib/server/db/schema.ts';
import { readConversationView } from '$lib/server/conversations.ts';
import { GuestMessages } from '$lib/server/guests/messages.ts';
import { inviteGuest } from '$lib/server/guests/invitations.ts';
import { listPendingGuestInvitations } from '$lib/server/guests/listings.ts';
import { mailGuestInvitation } from '$lib/server/guests/mail.ts';
import { removeGuest, revokeGuestInvitation } from '$lib/server/guests/removal.ts';
import { setConversationGuestsAllowed } from '$lib/server/guests/settings.ts';
import { computeRequestOrigin } from '$lib/server/http.ts';
import { parseEmail } from '$lib/server/validation.ts';
import { takeAll } from '$lib/server/actions.ts';
import { TOO_MANY } from '$lib/server/rate-limit.ts';

// Guests of one conversation: invite by email, withdraw a pending invitation, remove a guest, and
// the conversation's guest switch. Members only; what each may do comes from their grant.

export const load: PageServerLoad = async ({ params, locals }) => {
	const database = locals.app;
	const view = await readConversationView(database.client, locals.user!.id, params.id);
	// guests and outsiders get the same answer as for a conversation that does not exist
	if (!view || view.grant.role !== 'member') error(404, GuestMessages.notFound);
	const { db } = database;
	const guests = await db
		.select({ id: users.id, name: users.name, email: users.email, invitedBy: conversationParticipants.invitedBy, addedAt: conversationParticipants.addedAt })
		.from(conversationParticipants)
		.innerJoin(users, eq(users.id, conversationParticipants.userId))
		.where(and(eq(conversationParticipants.conversationId, params.id), eq(conversationParticipants.role, 'guest')));
	const [{ guestsAllowed }] = await database.client
		.execute({ sql: 'SELECT guests_allowed FROM conversations WHERE id = ?', args: [params.id] })
		.then((r) => r.rows.map((row) => ({ guestsAllowed: Boolean(Number(row.guests_allowed)) })));
	return {
		conversation: view.conversation,
		grant: view.grant,
		guestsAllowed,
		guests,
		invitations: await listPendingGuestInvitations(db, { orgId: view.conversation.orgId, conversationId: params.id })
	};
};

export const actions: Actions = {
	invite: async (event) => {
		const { request, locals, params } = event;
		const form = await request.formData();
		const emailInput = String(form.get('email') ?? '').slice(0, 300);
		const email = parseEmail(form.get('email'));
		if (!email.ok) return fail(400, { message: email.message, email: emailInput });
		if (!await takeAll(locals.app.limiters, [['guestInvitePerInviter', locals.user!.id], ['guestInvitePerRecipient', email.value]])) {
			return fail(429, { message: TOO_MANY, email: emailInput });
		}
		const database = locals.app;
		const result = await inviteGuest(database, { inviterId: locals.user!.id, conversationId: params.id, email: email.value });
		if (!result.ok) return fail(result.status, { message: result.message, email: emailInput });
		await mailGuestInvitation(database.db, {
			origin: computeRequestOrigin(event),
			to: result.email,
			token: result.token,
			subject: result.subject,
			orgName: result.orgName,
			inviterName: result.inviterName
		});
		return { invited: result.email, message: `Invitation sent to ${result.email}.${result.revokedOlder ? ' The earlier link no longer works.' : ''}` };
	},
	revokeInvitation: async ({ request, locals }) => {
		const id = String((await request.formData()).get('invitationId') ?? '');
		const done = await revokeGuestInvitation(locals.app, locals.user!.id, id);
		if (!done) return fail(400, { message: 'This invitation cannot be withdrawn (already used, withdrawn, or not yours to manage).' });
		return { message: 'Invitation withdrawn.' };
	},
	remove: async ({ request, locals, params }) => {
		const guestId = String((await request.formData()).get('guestId') ?? '');
		const database = locals.app;
		const view = await readConversationView(database.client, locals.user!.id, params.id);
		if (!view || view.grant.role !== 'member') return fail(404, { message: GuestMessages.notFound });
		const result = await removeGuest(database, { actorId: locals.user!.id, guestId, orgId: view.conversation.orgId, conversationId: params.id });
		if (!result.ok) return fail(result.status, { message: result.message });
		return { message: 'Guest removed from this conversation.' };
	},
	guestsAllowed: async ({ request, locals, params }) => {
		const allowed = (await request.formData()).get('allowed') === 'yes';
		const result = await setConversationGuestsAllowed(locals.app, locals.user!.id, params.id, allowed);
		if (!result.ok) return fail(result.status, { message: result.message });
		return { message: allowed ? 'Guests are on for this conversation.' : 'Guests are off for this conversation.' };
	}
};
