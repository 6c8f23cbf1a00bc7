// Email in (DESIGN.md §7): raw MIME from the SMTP listener or a provider's webhook becomes an external
// message in a conversation's thread document. Threads by Message-ID / In-Reply-To / References
// within the organization, else opens a new conversation. A refused message changes nothing.
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { sha256 } from '@oslojs/crypto/sha2';
import { encodeHexLowerCase } from '@oslojs/encoding';
import type { Database } from '../db/index.ts';
import { attachments, conversations, mailMessages, organizations } from '../db/schema.ts';
import type { App } from '../app-types.ts';
import { syncConversationInboxes, MAX_SUBJECT } from '../conversations.ts';
import { applyActivityToStatus } from '../conversation-status.ts';
import { recordActivity } from '../notifications.ts';
import { conversationDoc } from '../../shared/doc-names.ts';
import { createId, type ThreadMessage } from '../../shared/records.ts';
import { fitThreadMessage } from './sanitize.ts';
import { rememberContacts } from './contacts.ts';

/** Size limits of inbound mail; the environment may lower or raise them. */
export interface InboundLimits {
	/** Whole raw message (the SMTP SIZE extension announces it). */
	maxMessageBytes: number;
	/** Each attachment. */
	maxAttachmentBytes: number;
	maxAttachments: number;
}

/** Limits from INBOUND_MAX_MESSAGE_BYTES / INBOUND_MAX_ATTACHMENT_BYTES, 25 MB and 10 MB by default. */
export function readInboundLimits(env: NodeJS.ProcessEnv = process.env): InboundLimits {
	const num = (value: string | undefined, fallback: number) => (value && Number.isInteger(Number(value)) && Number(value) > 0 ? Number(value) : fallback);
	return {
		maxMessageBytes: num(env.INBOUND_MAX_MESSAGE_BYTES, 25 * 1024 * 1024),
		maxAttachmentBytes: num(env.INBOUND_MAX_ATTACHMENT_BYTES, 10 * 1024 * 1024),
		maxAttachments: 50
	};
}

/** Why a message was refused, with the SMTP reply code and the HTTP status each transport answers with. */
export const InboundRefusal = {
	/** Not a parsable email (no header section, no From address). Permanent. */
	Malformed: { smtp: 554, http: 400 },
	/** Over a size limit. Permanent. */
	TooLarge: { smtp: 552, http: 413 },
	/** No organization receives mail at this address. Permanent. */
	UnknownRecipient: { smtp: 550, http: 404 },
	/** Storing failed; the sender should try again (nothing was kept). */
	Temporary: { smtp: 451, http: 503 }
} as const;
export type InboundRefusal = (typeof InboundRefusal)[keyof typeof InboundRefusal];

/** One organization's copy of a received message. */
export interface Delivery {
	orgId: string;
	conversationId: string;
	messageRecordId: string;
	/** A new conversation was opened for it. */
	created: boolean;
	/** This Message-ID was already received by the organization: kept once, not stored again. */
	duplicate: boolean;
}

export type ReceiveResult = { ok: true; deliveries: Delivery[] } | { ok: false; refusal: InboundRefusal; message: string };

/** SHA-256 of an inbound webhook secret, hex (only the hash is stored). */
export function hashInboundSecret(secret: string): string {
	return encodeHexLowerCase(sha256(new TextEncoder().encode(secret)));
}

/** A new random webhook secret for an organization; stores its hash and returns the secret (shown once). */
export async function rotateInboundSecret(database: Database, orgId: string): Promise<string> {
	const bytes = new Uint8Array(24);
	crypto.getRandomValues(bytes);
	const secret = 'whsec_' + Buffer.from(bytes).toString('base64url');
	await database.db.update(organizations).set({ inboundSecretHash: hashInboundSecret(secret) }).where(eq(organizations.id, orgId));
	return secret;
}

/** Whether `secret` is the organization's webhook secret (compared as hashes, in constant time). */
export async function verifyInboundSecret(database: Database, orgId: string, secret: string): Promise<boolean> {
	const [org] = await database.db.select({ hash: organizations.inboundSecretHash }).from(organizations).where(eq(organizations.id, orgId));
	if (!org?.hash || !secret) return false;
	const a = Buffer.from(hashInboundSecret(secret));
	const b = Buffer.from(org.hash);
	return a.length === b.length && (await import('node:crypto')).timingSafeEqual(a, b);
}

/** The organizations receiving mail at these addresses (lower-cased), by address. */
export async function findInboxOrgs(database: Database, addresses: string[]): Promise<Map<string, string>> {
	const wanted = [...new Set(addresses.map((a) => a.trim().toLowerCase()))].filter(Boolean);
	if (wanted.length === 0) return new Map();
	const rows = await database.db
		.select({ id: organizations.id, address: organizations.inboxAddress })
		.from(organizations)
		.where(inArray(sql`lower(${organizations.inboxAddress})`, wanted));
	return new Map(rows.map((r) => [String(r.address).toLowerCase(), r.id]));
}

function addressList(value: AddressObject | AddressObject[] | undefined): Array<{ name: string; address: string }> {
	const objects = value === undefined ? [] : Array.isArray(value) ? value : [value];
	const out: Array<{ name: string; address: string }> = [];
	const walk = (entries: AddressObject['value']) => {
		for (const entry of entries) {
			if (entry.group) walk(entry.group);
			else if (entry.address) out.push({ name: (entry.name ?? '').slice(0, 200), address: entry.address.toLowerCase().slice(0, 320) });
		}
	};
	for (const object of objects) walk(object.value);
	return out.slice(0, 100);
}

function messageIds(value: string | string[] | undefined): string[] {
	const list = value === undefined ? [] : Array.isArray(value) ? value : value.split(/\s+/);
	return list.map((id) => id.trim()).filter((id) => /^<[^<>\s]+>$/.test(id));
}

/** Parses raw MIME, refusing what cannot become a thread message. */
async function parseMail(raw: Buffer, limits: InboundLimits): Promise<{ ok: true; mail: ParsedMail } | { ok: false; refusal: InboundRefusal; message: string }> {
	if (raw.byteLength > limits.maxMessageBytes) {
		return { ok: false, refusal: InboundRefusal.TooLarge, message: `Message too large: the limit is ${limits.maxMessageBytes} bytes` };
	}
	// a header section is "Name: value" lines; anything else is not an email
	const head = raw.subarray(0, 4096).toString('latin1');
	if (!/^[!-9;-~]+:[ \t]?/.test(head)) return { ok: false, refusal: InboundRefusal.Malformed, message: 'Malformed message: no header section' };
	let mail: ParsedMail;
	try {
		mail = await simpleParser(raw, { skipImageLinks: true, skipTextLinks: true });
	} catch (error) {
		return { ok: false, refusal: InboundRefusal.Malformed, message: `Malformed message: ${error instanceof Error ? error.message : String(error)}` };
	}
	if (addressList(mail.from).length === 0) return { ok: false, refusal: InboundRefusal.Malformed, message: 'Malformed message: no From address' };
	if (mail.attachments.length > limits.maxAttachments) {
		return { ok: false, refusal: InboundRefusal.TooLarge, message: `Too many attachments: at most ${limits.maxAttachments}` };
	}
	for (const a of mail.attachments) {
		if (a.size > limits.maxAttachmentBytes || a.content.byteLength > limits.maxAttachmentBytes) {
			return {
				ok: false,
				refusal: InboundRefusal.TooLarge,
				message: `Attachment "${a.filename ?? 'unnamed'}" is too large: the limit is ${limits.maxAttachmentBytes} bytes per attachment`
			};
		}
	}
	return { ok: true, mail };
}

/**
 * Receives one raw message for the given organizations (the SMTP envelope's known recipients, or the
 * webhook's organization). Per organization: the rows (conversation, message, attachments) are stored
 * in one transaction, then the thread document; if the document write fails the rows are removed and
 * the result asks the sender to retry, so a failure leaves neither.
 */
export async function receiveMail(database: App, raw: Buffer, orgIds: string[], limits: InboundLimits = readInboundLimits()): Promise<ReceiveResult> {
	const parsed = await parseMail(raw, limits);
	if (!parsed.ok) return parsed;
	const deliveries: Delivery[] = [];
	for (const orgId of [...new Set(orgIds)]) {
		try {
			deliveries.push(await deliver(database, parsed.mail, orgId));
		} catch (error) {
			console.error(`[inbound] storing a message for org ${orgId} failed: ${error instanceof Error ? error.stack : String(error)}`);
			return { ok: false, refusal: InboundRefusal.Temporary, message: 'Could not store the message now; try again later' };
		}
	}
	return { ok: true, deliveries };
}

async function deliver(database: App, mail: ParsedMail, orgId: string): Promise<Delivery> {
	const { db } = database;
	const now = Date.now();
	const [from] = addressList(mail.from);
	const to = addressList(mail.to);
	const cc = addressList(mail.cc);
	const subject = (mail.subject ?? '').trim().slice(0, 1000);
	// a message without a Message-ID gets one, so that replies to our answer still thread
	const messageId = messageIds(mail.messageId)[0] ?? `<${createId(now)}@inbound.parley>`;
	const inReplyTo = messageIds(mail.inReplyTo)[0] ?? null;
	const references = messageIds(mail.references);

	const [known] = await db
		.select({ id: mailMessages.id, conversationId: mailMessages.conversationId })
		.from(mailMessages)
		.where(and(eq(mailMessages.orgId, orgId), eq(mailMessages.messageId, messageId)));
	if (known) return { orgId, conversationId: known.conversationId, messageRecordId: known.id, created: false, duplicate: true };

	// the conversation of the newest message this one answers (In-Reply-To first, then References)
	const related = [...new Set([...(inReplyTo ? [inReplyTo] : []), ...[...references].reverse()])];
	let conversationId: string | null = null;
	let answeredAt = 0;
	if (related.length > 0) {
		const rows = await db
			.select({ conversationId: mailMessages.conversationId, messageId: mailMessages.messageId, createdAt: mailMessages.createdAt })
			.from(mailMessages)
			.where(and(eq(mailMessages.orgId, orgId), inArray(mailMessages.messageId, related)));
		const byMessageId = new Map(rows.map((r) => [r.messageId, r.conversationId]));
		conversationId = related.map((id) => byMessageId.get(id)).find((c) => c !== undefined) ?? null;
		answeredAt = Math.max(0, ...rows.filter((r) => r.conversationId === conversationId).map((r) => r.createdAt));
	}
	const created = conversationId === null;
	const convId = conversationId ?? createId(now);
	const recordId = createId(now);
	const dated = mail.date && !Number.isNaN(mail.date.getTime()) && mail.date.getTime() <= now + 60_000 ? mail.date.getTime() : now;
	// a Date header has whole seconds (and the sender's clock): an answer never sorts before what it answers
	const sentAt = Math.max(dated, answeredAt + 1);

	const files = mail.attachments.map((a, i) => ({
		id: createId(now),
		name: (a.filename ?? `attachment-${i + 1}`).replace(/[\r\n"\\/]/g, '_').slice(0, 255),
		size: a.content.byteLength,
		contentType: (a.contentType || 'application/octet-stream').slice(0, 255),
		data: a.content
	}));
	const record = fitThreadMessage(
		{
			id: recordId,
			direction: 'in',
			from,
			to,
			cc,
			subject,
			text: mail.text ?? '',
			sentAt,
			messageId: messageId.slice(0, 1000),
			attachments: files.map(({ id, name, size, contentType }) => ({ id, name, size, contentType }))
		},
		typeof mail.html === 'string' ? mail.html : null
	);

	const statements: BatchItem<'sqlite'>[] = [];
	if (created) {
		statements.push(
			db.insert(conversations).values({ id: convId, orgId, subject: (subject || '(no subject)').slice(0, MAX_SUBJECT), kind: 'email', createdAt: now, lastActivityAt: now })
		);
	} else {
		statements.push(db.update(conversations).set({ lastActivityAt: now }).where(eq(conversations.id, convId)));
	}
	statements.push(
		db.insert(mailMessages).values({ id: recordId, orgId, conversationId: convId, messageId, inReplyTo, references: references.join(' ') || null, direction: 'in', createdAt: now })
	);
	for (const f of files) {
		statements.push(db.insert(attachments).values({ id: f.id, conversationId: convId, mailMessageId: recordId, filename: f.name, contentType: f.contentType, size: f.size, data: f.data, createdAt: now }));
	}
	await db.batch(statements as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]]);

	try {
		await database.relay.serverEdit(conversationDoc(convId, 'thread'), (ydoc) => {
			ydoc.getMap('messages').set(recordId, record);
			const eventId = `created-${recordId}`;
			if (created) ydoc.getMap('events').set(eventId, { id: eventId, type: 'conversation-created', actorName: (from.name || from.address).slice(0, 200), subjectName: (subject || '(no subject)').slice(0, 200), at: now });
		});
	} catch (error) {
		// undo the rows: the sender is told to retry, and the retry must not look like a duplicate
		const undo: BatchItem<'sqlite'>[] = [db.delete(attachments).where(eq(attachments.mailMessageId, recordId)), db.delete(mailMessages).where(eq(mailMessages.id, recordId))];
		if (created) undo.push(db.delete(conversations).where(eq(conversations.id, convId)));
		await db.batch(undo as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]]);
		throw error;
	}

	// after the message is stored: inboxes and notifications are derived and may be redone
	try {
		const who = from.name || from.address;
		await db.update(conversations).set({ snippet: `${who}: ${snippet(record.text)}`.slice(0, 500) }).where(eq(conversations.id, convId));
		// new mail reopens a closed conversation for everyone (and ends an "unless someone replies" snooze)
		if (!created) await applyActivityToStatus(database, convId, 'inbound');
		await syncConversationInboxes(database, convId);
		await recordActivity(database, { conversationId: convId, actorId: null, text: `Email from ${who}: ${snippet(record.text)}` });
		const [org] = await db.select({ inbox: organizations.inboxAddress }).from(organizations).where(eq(organizations.id, orgId));
		await rememberContacts(database, orgId, [from, ...to, ...cc], org?.inbox ?? null, now);
	} catch (error) {
		console.error(`[inbound] inbox/notification update for ${convId} failed: ${String(error)}`);
	}
	return { orgId, conversationId: convId, messageRecordId: recordId, created, duplicate: false };
}

/** The first words of a text, for notifications. */
export function snippet(text: string, max = 160): string {
	const flat = text.replace(/\s+/g, ' ').trim();
	return flat.length > max ? flat.slice(0, max - 1) + '…' : flat;
}
