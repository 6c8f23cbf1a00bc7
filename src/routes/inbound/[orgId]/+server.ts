// Inbound mail from a provider's webhook: the raw MIME message as the request body, authenticated by
// the organization's webhook secret (Authorization: Bearer <secret>). No cookies are involved, so the
// Origin check does not apply here (hooks.server.ts exempts this path).
import { json, type RequestHandler } from '@sveltejs/kit';
import { readInboundLimits, receiveMail, verifyInboundSecret } from '$lib/server/mail/inbound.ts';

export const POST: RequestHandler = async ({ params, request, locals }) => {
	const database = locals.app;
	const secret = (request.headers.get('authorization') ?? '').replace(/^Bearer\s+/i, '').trim();
	// one answer whether the organization exists or the secret is wrong
	if (!secret || !(await verifyInboundSecret(database, params.orgId ?? '', secret))) {
		return json({ message: 'Invalid organization or webhook secret.' }, { status: 401 });
	}
	const limits = readInboundLimits();
	const declared = Number(request.headers.get('content-length') ?? 0);
	if (declared > limits.maxMessageBytes) return json({ message: `Message too large: the limit is ${limits.maxMessageBytes} bytes` }, { status: 413 });
	let raw: Buffer;
	try {
		raw = Buffer.from(await request.arrayBuffer());
	} catch {
		return json({ message: `Message too large or unreadable: the limit is ${limits.maxMessageBytes} bytes` }, { status: 413 });
	}
	const result = await receiveMail(database, raw, [params.orgId!], limits);
	if (!result.ok) return json({ message: result.message }, { status: result.refusal.http });
	return json({
		ok: true,
		messages: result.deliveries.map((d) => ({ conversationId: d.conversationId, messageId: d.messageRecordId, created: d.created, duplicate: d.duplicate }))
	});
};
