import { error } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';
import { isOutboxPageEnabled, listOutbox } from '$lib/server/mail/index.ts';
import { isLoopbackAddress } from '$lib/server/http.ts';

// Development only: the local outbox. A 404 when SMTP is configured, in production, or from another
// machine (it holds live sign-in links).
export const load: PageServerLoad = async ({ getClientAddress, locals }) => {
	if (!isOutboxPageEnabled() || !isLoopbackAddress(getClientAddress())) error(404, 'Not found');
	const { db } = locals.app;
	const messages = await listOutbox(db);
	return { messages: messages.map((m) => ({ id: m.id, to: m.to, subject: m.subject, text: m.text, status: m.status, createdAt: m.createdAt })) };
};
