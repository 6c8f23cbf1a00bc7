// Files a member attaches to a new email or a reply. Pure, so the composer checks them as they are
// chosen (the clear error comes before anything is posted) and the server checks them again.

/** What one email may carry. The total stays well under what a mail server takes (often 25 MB, base64 adds a third). */
export const OUTGOING_ATTACHMENT_LIMITS = {
	maxFiles: 10,
	maxFileBytes: 10 * 1024 * 1024,
	maxTotalBytes: 15 * 1024 * 1024
} as const;
export type OutgoingAttachmentLimits = { maxFiles: number; maxFileBytes: number; maxTotalBytes: number };

/** The room multipart framing takes around the files and fields of one post. */
export const MULTIPART_ALLOWANCE_BYTES = 1024 * 1024;

export function formatBytes(bytes: number): string {
	if (bytes < 1024) return `${bytes} B`;
	if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
	return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * A file name safe to put in a MIME header, a download and the thread: the last path part only (a
 * browser may send "C:\\fakepath\\x"), no control characters, quotes, slashes or backslashes, no
 * leading dots (hidden files), at most 255 characters with the extension kept.
 */
export function sanitizeFilename(name: string, fallback = 'attachment'): string {
	const base = name.split(/[\\/]/).pop() ?? '';
	let clean = base.normalize('NFC').replace(/[\u0000-\u001f\u007f"<>|:*?]/g, '_').replace(/\s+/g, ' ').trim().replace(/^[.\s]+/, '');
	if (!clean.replace(/[_.\s]/g, '')) clean = fallback;
	if (clean.length > 255) {
		const dot = clean.lastIndexOf('.');
		const ext = dot > 0 && clean.length - dot <= 16 ? clean.slice(dot) : '';
		clean = clean.slice(0, 255 - ext.length) + ext;
	}
	return clean;
}

export interface ChosenFile {
	name: string;
	size: number;
}

/** Checks the chosen files against the limits; the message names the file and the limit it breaks. */
export function checkOutgoingAttachments(files: ChosenFile[], limits: OutgoingAttachmentLimits = OUTGOING_ATTACHMENT_LIMITS): { ok: true } | { ok: false; message: string } {
	if (files.length > limits.maxFiles) return { ok: false, message: `Attach at most ${limits.maxFiles} files to one email (${files.length} chosen).` };
	for (const f of files) {
		if (f.size > limits.maxFileBytes) {
			return { ok: false, message: `“${sanitizeFilename(f.name)}” is too large (${formatBytes(f.size)}): each file may be at most ${formatBytes(limits.maxFileBytes)}. Nothing was sent.` };
		}
	}
	const total = files.reduce((sum, f) => sum + f.size, 0);
	if (total > limits.maxTotalBytes) {
		return { ok: false, message: `The attachments come to ${formatBytes(total)}: one email may carry at most ${formatBytes(limits.maxTotalBytes)}. Nothing was sent.` };
	}
	return { ok: true };
}
