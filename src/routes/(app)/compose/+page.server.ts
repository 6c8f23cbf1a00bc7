import { fail, redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { eq } from 'drizzle-orm';
import { organizations } from '$lib/server/db/schema.ts';
import { listContacts } from '$lib/server/mail/contacts.ts';
import { sendNewEmail } from '$lib/server/mail/compose.ts';
import { readPostedFiles } from '$lib/server/mail/outgoing-attachments.ts';
import { createId } from '$lib/shared/records.ts';

// A new email from the current organization's inbox address. The compose id is made with the page,
// so a form posted twice (a double click, a resubmit after a lost answer) sends once.
export const load: PageServerLoad = async ({ locals, parent }) => {
	const { currentOrg } = await parent();
	if (!currentOrg) return { org: null, contacts: [], composeId: createId() };
	const [org] = await locals.app.db.select({ inbox: organizations.inboxAddress }).from(organizations).where(eq(organizations.id, currentOrg.id));
	return {
		org: { id: currentOrg.id, name: currentOrg.name, inboxAddress: org?.inbox ?? null },
		contacts: await listContacts(locals.app, currentOrg.id),
		composeId: createId()
	};
};

export const actions: Actions = {
	default: async ({ request, locals }) => {
		if (!locals.user) redirect(303, '/signin?redirectTo=%2Fcompose');
		const form = await request.formData();
		const field = (name: string) => String(form.get(name) ?? '');
		const fields = { to: field('to'), cc: field('cc'), bcc: field('bcc'), subject: field('subject'), text: field('text') };
		const attachments = await readPostedFiles(form.getAll('attachments'));
		const result = await sendNewEmail(locals.app, { composeId: field('composeId'), userId: locals.user.id, orgId: field('orgId'), ...fields, attachments });
		if (!result.ok) return fail(result.status, { message: result.message, ...fields });
		redirect(303, `/c/${result.conversationId}`);
	}
};
