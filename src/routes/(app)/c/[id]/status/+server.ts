// Close, reopen or snooze a conversation (JSON). The Origin check in hooks.server.ts covers this
// endpoint; setConversationStatus checks the grant (guests are refused with a clear message).
import { json, type RequestHandler } from '@sveltejs/kit';
import { setConversationStatus } from '$lib/server/conversation-status.ts';

export const POST: RequestHandler = async ({ params, request, locals }) => {
	if (!locals.user) return json({ message: 'Sign in first.' }, { status: 401 });
	let body: Record<string, unknown>;
	try {
		body = (await request.json()) as Record<string, unknown>;
	} catch {
		return json({ message: 'Send the status as JSON.' }, { status: 400 });
	}
	const result = await setConversationStatus(locals.app, {
		conversationId: params.id ?? '',
		actorId: locals.user.id,
		status: body.status,
		snoozeUntil: body.snoozeUntil,
		unlessReply: body.unlessReply
	});
	if (!result.ok) return json({ message: result.message }, { status: result.status });
	return json({ status: result.state.status, snoozeUntil: result.state.snoozeUntil, unlessReply: result.state.snoozeUnlessReply });
};
