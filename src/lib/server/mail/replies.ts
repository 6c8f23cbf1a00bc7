// Replies out (DESIGN.md §1 "reply to an external message": members only): sent from the
// organization's inbox address with In-Reply-To and References, then added to the thread
// (direction 'out'). The client picks the reply's id; the outgoing_replies row makes a reply that
// was queued offline and posted again go out once.
import { touchConversation } from '../conversations.ts';
import { applyActivityToStatus } from '../conversation-status.ts';
import { and, eq } from 'drizzle-orm';
import * as Y from 'yjs';
import type { App } from '../app.ts';
import { conversations, mailMessages, organizations, outgoingReplies, users } from '../db/schema.ts';
import { readConversationGrant } from '../access-facts.ts';
import { recordActivity } from '../notifications.ts';
import { sendMail } from './index.ts';
import { rememberContacts } from './contacts.ts';
import { fitThreadMessage } from './sanitize.ts';
import { snippet } from './inbound.ts';
import { attachmentRows, mailAttachments, prepareAttachments, recordAttachments, type OutgoingFile } from './outgoing-attachments.ts';
import { conversationDoc } from '../../shared/doc-names.ts';
import { createId, getRecord, type ThreadMessage } from '../../shared/records.ts';
import type { EmailAddress } from '../../shared/addresses.ts';
import { chooseRecipients, computeReplyRecipients } from '../../shared/reply-recipients.ts';

export { chooseRecipients, computeReplyRecipients };
import { TOO_MANY_MAILS } from '../rate-limit.ts';

/** Longest reply text a member may write (the quote comes on top). */
export const MAX_REPLY_TEXT = 10_000;
const MAX_QUOTE = 6_000;
const replyIdPattern = /^[A-Za-z0-9_-]{8,64}$/;

export interface ReplyRequest {
	/** Chosen by the client when the reply was written (offline too); the same id is sent once. */
	replyId: string;
	conversationId: string;
	userId: string;
	/** The thread message (record id) answered. */
	replyTo: string;
	mode: 'reply' | 'replyAll';
	text: string;
	/** Quote the answered message below the reply (on by default). */
	quote?: boolean;
	/** Recipients as the member edited them ("Dana <d@x.com>, …"); without them, who `mode` implies. */
	to?: string;
	cc?: string;
	/** Files to send with it (checked against the limits before the id is claimed). */
	attachments?: OutgoingFile[];
}

/** A send still "sending" after this long was cut off (SMTP gives up long before): see REPLY_INTERRUPTED. */
export const STALE_SENDING_MS = 5 * 60_000;
export const REPLY_INTERRUPTED =
	'This reply was being sent when the server stopped, so it may or may not have reached the recipients. Check the thread; if it is not there, write it again.';

export type ReplyResult =
	| { ok: true; status: 'sent' | 'already-sent' | 'sending'; messageRecordId?: string }
	| { ok: false; status: 400 | 403 | 404 | 409 | 429 | 502; message: string };

type Address = EmailAddress;

export function formatAddress(a: Address): string {
	const name = a.name.replace(/["\\\r\n]/g, '');
	return name ? `"${name}" <${a.address}>` : a.address;
}

/** The reply body: the member's text, then the answered message quoted. */
export function composeReplyText(text: string, parent: Pick<ThreadMessage, 'from' | 'sentAt' | 'text'>, quote: boolean): string {
	if (!quote) return text;
	const who = parent.from.name ? `${parent.from.name} <${parent.from.address}>` : parent.from.address;
	const body = parent.text.length > MAX_QUOTE ? parent.text.slice(0, MAX_QUOTE) + '\n[…]' : parent.text;
	const quoted = body.replace(/\r\n/g, '\n').split('\n').map((line) => (line ? `> ${line}` : '>')).join('\n');
	return `${text}\n\nOn ${new Date(parent.sentAt).toUTCString()}, ${who} wrote:\n${quoted}`;
}

/** Sends a member's reply to an external message of a conversation, once per reply id. */
export async function sendReply(database: App, request: ReplyRequest): Promise<ReplyResult> {
	const { db, client } = database;
	const grant = await readConversationGrant(client, request.userId, request.conversationId);
	if (grant.role === 'none') return { ok: false, status: 404, message: 'Conversation not found.' };
	if (!grant.actions.replyExternal) {
		return { ok: false, status: 403, message: 'Guests cannot reply to external messages. Ask a team member to answer, or write in the chat.' };
	}
	if (!replyIdPattern.test(request.replyId)) return { ok: false, status: 400, message: 'The reply needs an id of 8–64 letters, digits, - or _.' };
	const text = request.text.replace(/\s+$/, '');
	if (!text.trim()) return { ok: false, status: 400, message: 'Write a reply first.' };
	if (text.length > MAX_REPLY_TEXT) return { ok: false, status: 400, message: `Replies are at most ${MAX_REPLY_TEXT} characters.` };
	if (request.mode !== 'reply' && request.mode !== 'replyAll') return { ok: false, status: 400, message: 'Choose reply or reply all.' };
	const files = prepareAttachments(request.attachments);
	if (!files.ok) return { ok: false, status: 400, message: files.message };

	const relay = database.relay;
	const ydoc = new Y.Doc();
	Y.applyUpdate(ydoc, await relay.readState(conversationDoc(request.conversationId, 'thread')));
	const parent = getRecord(ydoc, 'thread', 'messages', request.replyTo);
	ydoc.destroy();
	if (!parent) return { ok: false, status: 404, message: 'The message you are answering is not in this conversation.' };
	const [org] = await db
		.select({ inbox: organizations.inboxAddress, orgName: organizations.name, orgId: organizations.id })
		.from(conversations)
		.innerJoin(organizations, eq(organizations.id, conversations.orgId))
		.where(eq(conversations.id, request.conversationId));
	if (!org?.inbox) return { ok: false, status: 409, message: 'This organization has no inbox address to send from.' };
	const edited = chooseRecipients(computeReplyRecipients(parent, request.mode, org.inbox), request, org.inbox);
	if (!edited.ok) return { ok: false, status: 400, message: edited.message };
	const recipients = edited;
	if (recipients.to.length === 0) return { ok: false, status: 400, message: request.to === undefined ? 'This message has nobody to reply to.' : 'Add at least one recipient in To.' };

	// claim the reply id: only the request that claims it sends (created_at: when this attempt began)
	const now = Date.now();
	const [existing] = await db.select({ id: outgoingReplies.id }).from(outgoingReplies).where(eq(outgoingReplies.id, request.replyId));
	// a new reply counts against the sender's hourly budget; posting the same id again (the offline queue) does not
	if (!existing && !(await database.limiters.outgoingMailPerUser.take(request.userId))) return { ok: false, status: 429, message: TOO_MANY_MAILS };
	const claimed = await db
		.insert(outgoingReplies)
		.values({ id: request.replyId, conversationId: request.conversationId, userId: request.userId, status: 'sending', createdAt: now })
		.onConflictDoNothing()
		.returning({ id: outgoingReplies.id });
	if (claimed.length === 0) {
		const [row] = await db.select().from(outgoingReplies).where(eq(outgoingReplies.id, request.replyId));
		if (!row || row.userId !== request.userId || row.conversationId !== request.conversationId) {
			return { ok: false, status: 409, message: 'This reply id is already in use; write the reply again.' };
		}
		if (row.status === 'sent') return { ok: true, status: 'already-sent' };
		if (row.status === 'sending' && now - row.createdAt < STALE_SENDING_MS) return { ok: true, status: 'sending' };
		if (row.status === 'sending' || row.status === 'interrupted') {
			// an attempt that never finished (the server stopped mid-send): it may have gone out, so it
			// is not sent again by itself; the author sees why and decides
			await db.update(outgoingReplies).set({ status: 'interrupted', error: REPLY_INTERRUPTED }).where(eq(outgoingReplies.id, request.replyId));
			return { ok: false, status: 409, message: REPLY_INTERRUPTED };
		}
		// failed before: not sent, so it may be tried again, once
		const retry = await db
			.update(outgoingReplies)
			// created_at is when the current attempt claimed the id (what STALE_SENDING_MS measures)
			.set({ status: 'sending', error: null, createdAt: now })
			.where(and(eq(outgoingReplies.id, request.replyId), eq(outgoingReplies.status, 'failed')))
			.returning({ id: outgoingReplies.id });
		if (retry.length === 0) return { ok: true, status: 'sending' };
	}

	const [author] = await db.select({ name: users.name }).from(users).where(eq(users.id, request.userId));
	const fromAddress: Address = { name: `${author?.name ?? 'Someone'} (${org.orgName})`.slice(0, 200), address: org.inbox };
	const [parentRow] = await db.select({ references: mailMessages.references }).from(mailMessages).where(eq(mailMessages.id, parent.id));
	const references = [...(parentRow?.references ? parentRow.references.split(' ') : []), parent.messageId].filter((id, i, all) => id && all.indexOf(id) === i);
	const domain = org.inbox.split('@')[1] ?? 'parley.localhost';
	const messageId = `<${createId(now)}@${domain}>`;
	const subject = /^re:/i.test(parent.subject) ? parent.subject : `Re: ${parent.subject}`;
	const body = composeReplyText(text, parent, request.quote !== false);

	const mail = await sendMail(db, {
		from: formatAddress(fromAddress),
		to: recipients.to.map(formatAddress).join(', '),
		cc: recipients.cc.length ? recipients.cc.map(formatAddress).join(', ') : undefined,
		subject,
		text: body,
		messageId,
		inReplyTo: parent.messageId,
		references,
		attachments: mailAttachments(files.files)
	});
	if (mail.status === 'failed') {
		await db.update(outgoingReplies).set({ status: 'failed', error: mail.error ?? 'delivery failed' }).where(eq(outgoingReplies.id, request.replyId));
		return { ok: false, status: 502, message: `The mail server did not take the reply (${mail.error ?? 'unknown error'}). It was not sent; try again.` };
	}

	const recordId = createId(now);
	const record = fitThreadMessage(
		{ id: recordId, direction: 'out', from: fromAddress, to: recipients.to, cc: recipients.cc, subject: subject.slice(0, 1000), text: body, sentAt: now, messageId, attachments: recordAttachments(files.files) },
		null
	);
	// the mail is out: from here on the reply counts as sent even if showing it fails
	await db.batch([
		db.insert(mailMessages).values({ id: recordId, orgId: org.orgId, conversationId: request.conversationId, messageId, inReplyTo: parent.messageId, references: references.join(' '), direction: 'out', createdAt: now }),
		...attachmentRows(db, files.files, request.conversationId, recordId, now),
		db.update(outgoingReplies).set({ status: 'sent' }).where(eq(outgoingReplies.id, request.replyId)),
		db.update(conversations).set({ lastActivityAt: now, lastSentAt: now }).where(eq(conversations.id, request.conversationId))
	]);
	try {
		await relay.serverEdit(conversationDoc(request.conversationId, 'thread'), (doc) => doc.getMap('messages').set(recordId, record));
		const names = recipients.to.map((a) => a.name || a.address).join(', ');
		await recordActivity(database, { conversationId: request.conversationId, actorId: request.userId, text: `${author?.name ?? 'Someone'} replied to ${names}: ${snippet(text)}` });
		void touchConversation(database, request.conversationId, `${author?.name ?? 'Someone'}: ${snippet(text)}`);
		await applyActivityToStatus(database, request.conversationId, 'reply');
		await rememberContacts(database, org.orgId, [...recipients.to, ...recipients.cc], org.inbox, now);
	} catch (error) {
		console.error(`[reply] ${request.replyId} was sent but adding it to the thread failed: ${String(error)}`);
	}
	return { ok: true, status: 'sent', messageRecordId: recordId };
}
