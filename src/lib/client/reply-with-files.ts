// A reply with attachments is posted at once, as multipart form data, rather than queued: the
// offline queue lives in localStorage, which holds neither files nor their size. The composer keeps
// the reply's id across attempts, so posting it again after a lost answer still sends it once.
import type { QueuedReply } from './reply-queue.svelte.ts';

export type ReplyPostResult = { ok: true } | { ok: false; message: string };

export async function postReplyWithFiles(reply: Omit<QueuedReply, 'createdAt' | 'userId'>, files: File[]): Promise<ReplyPostResult> {
	const form = new FormData();
	form.set('id', reply.id);
	form.set('replyTo', reply.replyTo);
	form.set('mode', reply.mode);
	form.set('text', reply.text);
	form.set('quote', String(reply.quote));
	if (reply.to !== undefined) form.set('to', reply.to);
	if (reply.cc !== undefined) form.set('cc', reply.cc);
	for (const f of files) form.append('attachments', f, f.name);
	let response: Response;
	try {
		response = await fetch(`/c/${encodeURIComponent(reply.conversationId)}/reply`, { method: 'POST', headers: { accept: 'application/json' }, body: form });
	} catch {
		return { ok: false, message: 'The connection was lost before the reply went out. It was kept here: send it again.' };
	}
	// 202: the same id is being sent right now (an earlier attempt whose answer was lost)
	if (response.ok) return { ok: true };
	const body = (await response.json().catch(() => ({}))) as { message?: string };
	return { ok: false, message: body.message ?? `The reply could not be sent (${response.status}).` };
}
