import nodemailer, { type Transporter } from 'nodemailer';
import { desc } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { mailOutbox } from '../db/schema.ts';
import { readConfig, type Config } from '../config.ts';

// One way out for every email. With SMTP_URL: sent by SMTP and recorded as 'sent' or 'failed'.
// Without it: kept in the local outbox (listed at /dev/mail) and logged, so links work on a fresh machine.

export interface MailMessage {
	to: string;
	subject: string;
	text: string;
	html?: string;
	headers?: Record<string, string>;
	/** Sender; MAIL_FROM by default (replies go out from the organization's inbox address). */
	from?: string;
	cc?: string;
	/** Blind copies: given to the SMTP envelope only (recorded in the local outbox, never in a thread). */
	bcc?: string;
	/** Threading headers for replies to external messages, each with angle brackets. */
	messageId?: string;
	inReplyTo?: string;
	references?: string[];
	/** Files sent as MIME attachments (the local outbox records their names only). */
	attachments?: Array<{ filename: string; contentType: string; content: Buffer }>;
}

/** The headers a message carries besides the body, as recorded in the outbox. */
function recordedHeaders(message: MailMessage): Record<string, string> | null {
	const headers: Record<string, string> = { ...message.headers };
	if (message.from) headers.From = message.from;
	if (message.cc) headers.Cc = message.cc;
	if (message.bcc) headers.Bcc = message.bcc;
	if (message.messageId) headers['Message-ID'] = message.messageId;
	if (message.inReplyTo) headers['In-Reply-To'] = message.inReplyTo;
	if (message.references?.length) headers.References = message.references.join(' ');
	if (message.attachments?.length) headers['X-Parley-Attachments'] = message.attachments.map((a) => a.filename).join(', ');
	return Object.keys(headers).length > 0 ? headers : null;
}

export type MailStatus = 'outbox' | 'sent' | 'failed';
export interface MailResult {
	id: number;
	status: MailStatus;
	error?: string;
}

const transports = new Map<string, Transporter>();
function getTransport(smtpUrl: string): Transporter {
	let t = transports.get(smtpUrl);
	if (!t) {
		t = nodemailer.createTransport(smtpUrl);
		transports.set(smtpUrl, t);
	}
	return t;
}

/** The first http(s) link in a text, for the one-line log. */
export function findFirstLink(text: string): string | null {
	return text.match(/https?:\/\/[^\s<>"')]+/)?.[0] ?? null;
}

/** Sends (or, without SMTP, stores) one message; never throws for a delivery failure, it records it. */
export async function sendMail(db: Db, message: MailMessage, config: Pick<Config, 'smtpUrl' | 'mailFrom'> = readConfig()): Promise<MailResult> {
	const base = {
		to: message.to,
		subject: message.subject,
		text: message.text,
		html: message.html ?? null,
		headers: recordedHeaders(message) ? JSON.stringify(recordedHeaders(message)) : null,
		createdAt: Date.now()
	};
	if (!config.smtpUrl) {
		const [row] = await db.insert(mailOutbox).values({ ...base, status: 'outbox' }).returning({ id: mailOutbox.id });
		const link = findFirstLink(message.text);
		console.log(`[mail] to=${message.to} subject=${JSON.stringify(message.subject)}${link ? ` link=${link}` : ''}`);
		return { id: row.id, status: 'outbox' };
	}
	try {
		await getTransport(config.smtpUrl).sendMail({
			from: message.from ?? config.mailFrom,
			to: message.to,
			cc: message.cc,
			bcc: message.bcc,
			messageId: message.messageId,
			inReplyTo: message.inReplyTo,
			references: message.references,
			subject: message.subject,
			text: message.text,
			html: message.html,
			headers: message.headers,
			attachments: message.attachments
		});
		const [row] = await db.insert(mailOutbox).values({ ...base, status: 'sent' }).returning({ id: mailOutbox.id });
		return { id: row.id, status: 'sent' };
	} catch (err) {
		const error = err instanceof Error ? err.message : String(err);
		console.error(`[mail] failed to=${message.to} subject=${JSON.stringify(message.subject)}: ${error}`);
		const [row] = await db.insert(mailOutbox).values({ ...base, status: 'failed', error }).returning({ id: mailOutbox.id });
		return { id: row.id, status: 'failed', error };
	}
}

/** The outbox, newest first (the /dev/mail page). */
export async function listOutbox(db: Db, limit = 100) {
	return db.select().from(mailOutbox).orderBy(desc(mailOutbox.id)).limit(limit);
}

/** Whether the development outbox page may be shown. */
export function isOutboxPageEnabled(config: Pick<Config, 'smtpUrl' | 'production'> = readConfig()): boolean {
	return !config.smtpUrl && !config.production;
}
