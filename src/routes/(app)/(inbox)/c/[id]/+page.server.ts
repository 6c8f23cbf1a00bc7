import { error } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';
import { readConversationView, readFormerGuests } from '$lib/server/conversations.ts';
import { readConversationFacts } from '$lib/server/access-facts.ts';
import type { AccessFacts } from '$lib/shared/policy.ts';

// What the conversation page needs besides its documents. Offline, the service worker replays the
// last answer for this URL, and the documents come from the IndexedDB replica.
export const load: PageServerLoad = async ({ locals, params }) => {
	const { app } = locals;
	const { client } = app;
	const view = await readConversationView(client, locals.user!.id, params.id);
	// unknown and forbidden conversations get the same answer
	if (!view) error(404, 'This conversation does not exist or you do not have access to it.');
	let guestFacts: AccessFacts | null = null;
	if (view.grant.role === 'member') {
		// "View as guest": the conversation's real facts with the viewer as a guest participant, so the
		// browser computes the guest grant through computeAccess, as the relay would for a real guest
		const facts = await readConversationFacts(client, locals.user!.id, params.id);
		guestFacts = { ...facts, orgRole: null, participantRole: 'guest' };
	}
	// Removed guests keep their name on what they wrote, for members only: a guest's page names
	// only people she can already see (participants), so hers keeps the team's name for them.
	const formerGuests = view.grant.role === 'member' ? await readFormerGuests(app, params.id) : [];
	return { view, guestFacts, formerGuests };
};
