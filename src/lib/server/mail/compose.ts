// A new email from an organization's inbox address (issue 13 "Compose"): members only, through the
// policy. It starts an email conversation holding the sent message, so the customer's answer threads
// into it (In-Reply-To) like any reply. The client picks the id; posting it again sends once.
import { and, eq } from 'drizzle-orm';
import type { App } from '../app.ts';
import { conversationParticipants, conversations, mailMessages, memberships, organizations, outgoingReplies, users } from '../db/schema.ts';
import { canCreateConversation } from '../../shared/policy.ts';
import { parseAddressList, withoutAddresses, MAX_RECIPIENTS, type EmailAddress } from '../../shared/addresses.ts';
import { createId } from '../../shared/records.ts';
import { conversationDoc } from '../../shared/doc-names.ts';
import { MAX_SUBJECT, syncConversationInboxes } from '../conversations.ts';
import { TOO_MANY_MAILS } from '../rate-limit.ts';
import { sendMail } from './index.ts';
import { rememberContacts } from './contacts.ts';
import { fitThreadMessage } from './sanitize.ts';
import { snippet } from './inbound.ts';
import { MAX_REPLY_TEXT, formatAddress } from './replies.ts';
import { attachmentRows, mailAttachments, prepareAttachments, recordAttachments, type OutgoingFile } from './outgoing-attachments.ts';

export interface NewEmailRequest {
	/** Chosen by the client when the email was written; the same id is sent once. */
	composeId: string;
	userId: string;
	orgId: string;
	/** Recipient fields as typed ("Dana <d@x.com>, …"). */
	to: string;
	cc?: string;
	bcc?: string;
	subject: string;
	text: string;
	/** Files to send with it (checked against the limits before anything is claimed or sent). */
	attachments?: OutgoingFile[];
}

export type NewEmailResult =
	| { ok: true; status: 'sent' | 'already-sent'; conversationId: string }
	| { ok: false; status: 400 | 403 | 409 | 429 | 502; message: string };

const composeIdPattern = /^[A-Za-z0-9_-]{8,64}$/;

type Checked = { ok: true; to: EmailAddress[]; cc: EmailAddress[]; bcc: EmailAddress[]; subject: string; text: string } | { ok: false; message: string };

/** Checks a new email's fields; every mistake is named and nothing is sent. */
export function checkNewEmail(request: Pick<NewEmailRequest, 'to' | 'cc' | 'bcc' | 'subject' | 'text'>, inbox: string): Checked {
	const to = parseAddressList(request.to, 'To');
	if (!to.ok) return to;
	const cc = parseAddressList(request.cc ?? '', 'Cc');
	if (!cc.ok) return cc;
	const bcc = parseAddressList(request.bcc ?? '', 'Bcc');
	if (!bcc.ok) return bcc;
	const toList = withoutAddresses(to.addresses, [inbox]);
	const ccList = withoutAddresses(cc.addresses, [inbox, ...toList.map((a) => a.address)]);
	const bccList = withoutAddresses(bcc.addresses, [inbox, ...toList.map((a) => a.address), ...ccList.map((a) => a.address)]);
	if (toList.length === 0) return { ok: false, message: 'Add at least one recipient in To.' };
	if (toList.length + ccList.length + bccList.length > MAX_RECIPIENTS) return { ok: false, message: `An email may go to at most ${MAX_RECIPIENTS} people.` };
	const subject = request.subject.trim();
	if (!subject) return { ok: false, message: 'Give the email a subject.' };
	if (subject.length > MAX_SUBJECT) return { ok: false, message: `Subjects are at most ${MAX_SUBJECT} characters.` };
	const text = request.text.replace(/\s+$/, '');
	if (!text.trim()) return { ok: false, message: 'Write the email first.' };
	if (text.length > MAX_REPLY_TEXT) return { ok: false, message: `Emails are at most ${MAX_REPLY_TEXT} characters.` };
	return { ok: true, to: toList, cc: ccList, bcc: bccList, subject, text };
}

/** Sends a member's new email from the organization's inbox address, once per compose id. */
export async function sendNewEmail(app: App, request: NewEmailRequest): Promise<NewEmailResult> {
	const { db } = app;
	const [membership] = await db
		.select({ role: memberships.role })
		.from(memberships)
		.where(and(eq(memberships.orgId, request.orgId), eq(memberships.userId, request.userId)));
	if (!canCreateConversation(membership?.role ?? null)) return { ok: false, status: 403, message: 'Only members of this organization can send email from it.' };
	if (!composeIdPattern.test(request.composeId)) return { ok: false, status: 400, message: 'The email needs an id of 8–64 letters, digits, - or _.' };
	const [org] = await db.select({ inbox: organizations.inboxAddress, name: organizations.name }).from(organizations).where(eq(organizations.id, request.orgId));
	if (!org?.inbox) return { ok: false, status: 409, message: 'This organization has no inbox address to send from. An owner can set one under Email in.' };

	const [existing] = await db.select().from(outgoingReplies).where(eq(outgoingReplies.id, request.composeId));
	if (existing) {
		if (existing.userId !== request.userId) return { ok: false, status: 409, message: 'This email id is already in use; write the email again.' };
		return { ok: true, status: 'already-sent', conversationId: existing.conversationId };
	}
	const checked = checkNewEmail(request, org.inbox);
	if (!checked.ok) return { ok: false, status: 400, message: checked.message };
	const files = prepareAttachments(request.attachments);
	if (!files.ok) return { ok: false, status: 400, message: files.message };
	if (!(await app.limiters.outgoingMailPerUser.take(request.userId))) return { ok: false, status: 429, message: TOO_MANY_MAILS };

	// the conversation and the claim of the id in one batch: of two posts of one email, one claims it
	const now = Date.now();
	const conversationId = createId(now);
	try {
		await db.batch([
			db.insert(conversations).values({ id: conversationId, orgId: request.orgId, subject: checked.subject, kind: 'email', createdBy: request.userId, createdAt: now, lastActivityAt: now, lastSentAt: now }),
			db.insert(conversationParticipants).values({ conversationId, userId: request.userId, role: 'member', addedAt: now }),
			db.insert(outgoingReplies).values({ id: request.composeId, conversationId, userId: request.userId, status: 'sending', createdAt: now })
		]);
	} catch (error) {
		const [claimed] = await db.select().from(outgoingReplies).where(eq(outgoingReplies.id, request.composeId));
		if (claimed?.userId === request.userId) return { ok: true, status: 'already-sent', conversationId: claimed.conversationId };
		throw error;
	}

	const [author] = await db.select({ name: users.name }).from(users).where(eq(users.id, request.userId));
	const authorName = author?.name ?? 'Someone';
	const fromAddress: EmailAddress = { name: `${authorName} (${org.name})`.slice(0, 200), address: org.inbox };
	const domain = org.inbox.split('@')[1] ?? 'parley.localhost';
	const messageId = `<${createId(now)}@${domain}>`;
	const mail = await sendMail(db, {
		from: formatAddress(fromAddress),
		to: checked.to.map(formatAddress).join(', '),
		cc: checked.cc.length ? checked.cc.map(formatAddress).join(', ') : undefined,
		bcc: checked.bcc.length ? checked.bcc.map(formatAddress).join(', ') : undefined,
		subject: checked.subject,
		text: checked.text,
		messageId,
		attachments: mailAttachments(files.files)
	});
	if (mail.status === 'failed') {
		// nothing went out and nobody saw the conversation yet: remove it, so trying again starts clean
		await db.delete(conversations).where(eq(conversations.id, conversationId));
		return { ok: false, status: 502, message: `The mail server did not take the email (${mail.error ?? 'unknown error'}). It was not sent; try again.` };
	}

	const recordId = createId(now);
	// Bcc is not part of the message anyone else sees: the thread (which guests may read) never holds it
	const record = fitThreadMessage(
		{ id: recordId, direction: 'out', from: fromAddress, to: checked.to, cc: checked.cc, subject: checked.subject, text: checked.text, sentAt: now, messageId, attachments: recordAttachments(files.files) },
		null
	);
	await db.batch([
		db.insert(mailMessages).values({ id: recordId, orgId: request.orgId, conversationId, messageId, inReplyTo: null, references: null, direction: 'out', createdAt: now }),
		...attachmentRows(db, files.files, conversationId, recordId, now),
		db.update(outgoingReplies).set({ status: 'sent' }).where(eq(outgoingReplies.id, request.composeId)),
		db.update(conversations).set({ snippet: `${authorName}: ${snippet(checked.text)}`.slice(0, 500) }).where(eq(conversations.id, conversationId))
	]);
	try {
		await app.relay.serverEdit(conversationDoc(conversationId, 'thread'), (ydoc) => {
			ydoc.getMap('messages').set(recordId, record);
			const eventId = `created-${recordId}`;
			ydoc.getMap('events').set(eventId, { id: eventId, type: 'conversation-created', actorName: authorName.slice(0, 200), subjectName: checked.subject.slice(0, 200), at: now });
		});
		await syncConversationInboxes(app, conversationId);
		await rememberContacts(app, request.orgId, [...checked.to, ...checked.cc, ...checked.bcc], org.inbox, now);
	} catch (error) {
		console.error(`[compose] ${request.composeId} was sent but adding it to the conversation failed: ${String(error)}`);
	}
	return { ok: true, status: 'sent', conversationId };
}
