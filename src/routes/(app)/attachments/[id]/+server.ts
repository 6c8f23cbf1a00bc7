// Downloads an attachment of an external message, for members and the conversation's guests.
import { error, type RequestHandler } from '@sveltejs/kit';
import { contentDisposition, readAttachmentForUser } from '$lib/server/attachments.ts';

export const GET: RequestHandler = async ({ params, locals }) => {
	if (!locals.user) error(401, 'Sign in first.');
	const file = await readAttachmentForUser(locals.app, locals.user.id, params.id ?? '');
	if (!file) error(404, 'Attachment not found.');
	return new Response(new Uint8Array(file.data), {
		headers: {
			// always a download, never rendered as a page of ours: the content is the sender's
			'content-type': file.contentType || 'application/octet-stream',
			'content-disposition': contentDisposition(file.filename),
			'content-length': String(file.data.byteLength),
			'content-security-policy': "sandbox; default-src 'none'",
			'x-content-type-options': 'nosniff',
			'cache-control': 'private, no-store'
		}
	});
};
