// Files attached to a new email or a reply, between the posted form and the mail: checked against
// the limits and named safely before anything is claimed or sent, stored like inbound attachments
// (the `attachments` table, downloadable through the grant) once the mail is out.
import type { Db } from '../db/index.ts';
import { attachments } from '../db/schema.ts';
import { createId, type ThreadMessage } from '../../shared/records.ts';
import { checkOutgoingAttachments, sanitizeFilename, OUTGOING_ATTACHMENT_LIMITS, type OutgoingAttachmentLimits } from '../../shared/outgoing-attachments.ts';

export interface OutgoingFile {
	filename: string;
	contentType: string;
	data: Buffer;
}

/** The files of a posted form field; a file input left empty posts one nameless, empty file, which is no attachment. */
export async function readPostedFiles(values: FormDataEntryValue[]): Promise<OutgoingFile[]> {
	const files = values.filter((v): v is File => typeof v !== 'string' && (v.size > 0 || v.name !== ''));
	return Promise.all(files.map(async (f) => ({ filename: f.name, contentType: f.type, data: Buffer.from(await f.arrayBuffer()) })));
}

export type PreparedAttachments = { ok: true; files: Array<OutgoingFile & { id: string }> } | { ok: false; message: string };

/** Checks the files (sizes as received, not as claimed) and gives each a safe name and an id. */
export function prepareAttachments(files: OutgoingFile[] = [], limits: OutgoingAttachmentLimits = OUTGOING_ATTACHMENT_LIMITS): PreparedAttachments {
	const checked = checkOutgoingAttachments(files.map((f) => ({ name: f.filename, size: f.data.byteLength })), limits);
	if (!checked.ok) return checked;
	return {
		ok: true,
		files: files.map((f, i) => ({
			id: createId(),
			filename: sanitizeFilename(f.filename, `attachment-${i + 1}`),
			// a type is a header value: only a plain "type/subtype" is kept
			contentType: /^[\w.+-]+\/[\w.+-]+$/.test(f.contentType) ? f.contentType.slice(0, 255) : 'application/octet-stream',
			data: f.data
		}))
	};
}

/** The files as nodemailer attachments. */
export function mailAttachments(files: OutgoingFile[]) {
	return files.map((f) => ({ filename: f.filename, contentType: f.contentType, content: f.data }));
}

/** The files as the thread record lists them. */
export function recordAttachments(files: Array<OutgoingFile & { id: string }>): ThreadMessage['attachments'] {
	return files.map((f) => ({ id: f.id, name: f.filename, size: f.data.byteLength, contentType: f.contentType }));
}

/** The rows that keep the files of a sent message, for the batch that records it. */
export function attachmentRows(db: Db, files: Array<OutgoingFile & { id: string }>, conversationId: string, mailMessageId: string, now: number) {
	return files.map((f) =>
		db.insert(attachments).values({ id: f.id, conversationId, mailMessageId, filename: f.filename, contentType: f.contentType, size: f.data.byteLength, data: f.data, createdAt: now })
	);
}
