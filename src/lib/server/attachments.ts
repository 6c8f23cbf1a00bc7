// Attachments of external messages: downloadable by whoever may read the conversation's thread
// (members and its guests), decided by the grant like everything else.
import { eq } from 'drizzle-orm';
import type { Database } from './db/index.ts';
import { attachments } from './db/schema.ts';
import { readConversationGrant } from './access-facts.ts';

export interface AttachmentFile {
	filename: string;
	contentType: string;
	size: number;
	data: Buffer;
}

/** The attachment if the user may read its conversation's thread; null otherwise (unknown or forbidden alike). */
export async function readAttachmentForUser(database: Database, userId: string, attachmentId: string): Promise<AttachmentFile | null> {
	const [row] = await database.db.select().from(attachments).where(eq(attachments.id, attachmentId));
	if (!row) return null;
	const grant = await readConversationGrant(database.client, userId, row.conversationId);
	if (!grant.lanes.thread.read) return null;
	return { filename: row.filename, contentType: row.contentType, size: row.size, data: row.data };
}

/** Content-Disposition for a download: an ASCII fallback and the UTF-8 name (RFC 6266). */
export function contentDisposition(filename: string): string {
	const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
	return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}
