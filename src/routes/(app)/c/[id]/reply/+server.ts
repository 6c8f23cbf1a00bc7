// Sends a member's reply to an external message: JSON, or multipart form data when it carries
// attachments (field `attachments`). The Origin check in hooks.server.ts covers this endpoint; the
// grant decides who may reply (guests are refused with a clear message).
import { json, type RequestHandler } from '@sveltejs/kit';
import { sendReply } from '$lib/server/mail/replies.ts';
import { readPostedFiles, type OutgoingFile } from '$lib/server/mail/outgoing-attachments.ts';

export const POST: RequestHandler = async ({ params, request, locals }) => {
	if (!locals.user) return json({ message: 'Sign in first.' }, { status: 401 });
	let body: Record<string, unknown>;
	let attachments: OutgoingFile[] = [];
	try {
		if ((request.headers.get('content-type') ?? '').startsWith('multipart/form-data')) {
			const form = await request.formData();
			body = Object.fromEntries([...form.entries()].filter(([, v]) => typeof v === 'string'));
			body.quote = body.quote !== 'false';
			attachments = await readPostedFiles(form.getAll('attachments'));
		} else {
			body = (await request.json()) as Record<string, unknown>;
		}
	} catch {
		return json({ message: 'Send the reply as JSON, or as form data with its attachments.' }, { status: 400 });
	}
	const str = (v: unknown) => (typeof v === 'string' ? v : '');
	const result = await sendReply(locals.app, {
		replyId: str(body.id),
		conversationId: params.id ?? '',
		userId: locals.user.id,
		replyTo: str(body.replyTo),
		mode: body.mode === 'replyAll' ? 'replyAll' : 'reply',
		text: str(body.text),
		quote: body.quote !== false,
		to: typeof body.to === 'string' ? body.to : undefined,
		cc: typeof body.cc === 'string' ? body.cc : undefined,
		attachments
	});
	if (!result.ok) return json({ message: result.message }, { status: result.status });
	return json(result, { status: result.status === 'sending' ? 202 : 200 });
};
