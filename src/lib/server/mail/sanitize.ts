// External HTML is untrusted: it is sanitized before it is stored in a thread document, and the UI
// sanitizes again before rendering. Only formatting survives; no scripts, styles, forms or remote images
// (remote images are read receipts for the sender).
import sanitizeHtml from 'sanitize-html';
import { validateRecord, type ThreadMessage } from '../../shared/records.ts';

/** Longest text and HTML body kept in a thread record (the record schema's caps). */
export const MAX_BODY_CHARS = 12_000;

const options: sanitizeHtml.IOptions = {
	allowedTags: sanitizeHtml.defaults.allowedTags.filter((tag) => tag !== 'img'),
	allowedAttributes: { a: ['href', 'title', 'rel', 'target'], td: ['colspan', 'rowspan'], th: ['colspan', 'rowspan'] },
	allowedSchemes: ['http', 'https', 'mailto'],
	allowProtocolRelative: false,
	disallowedTagsMode: 'discard',
	// links open outside the app and tell the target nothing about where they came from
	transformTags: { a: sanitizeHtml.simpleTransform('a', { rel: 'noopener noreferrer nofollow', target: '_blank' }) }
};

/** Sanitized HTML of an external message (allowlisted formatting tags, http/https/mailto links only). */
export function sanitizeMailHtml(html: string): string {
	return sanitizeHtml(html, options);
}

/** Sanitized HTML cut to at most `max` characters; cut on the source and re-sanitized, so tags stay balanced. */
export function sanitizeMailHtmlWithin(html: string, max: number): string | undefined {
	let clean = sanitizeMailHtml(html);
	let cut = Math.min(html.length, max);
	while (clean.length > max && cut > 200) {
		cut = Math.floor(cut * 0.8);
		clean = sanitizeMailHtml(html.slice(0, cut));
	}
	return clean.length <= max && clean.trim() ? clean : undefined;
}

/** `text` cut to `max` characters with a note saying it was cut and how long it was. */
export function truncateText(text: string, max: number): string {
	if (text.length <= max) return text;
	const note = `\n\n[Message truncated: the original text has ${text.length} characters.]`;
	return text.slice(0, Math.max(0, max - note.length)) + note;
}

/**
 * Fits a thread message into one record (the records' MAX_RECORD_JSON): the HTML body is shortened, then dropped
 * (saying so in the text), then the text is shortened. Returns a record that validates.
 */
export function fitThreadMessage(message: ThreadMessage, rawHtml: string | null): ThreadMessage {
	const fits = (m: ThreadMessage) => validateRecord('thread', 'messages', m.id, m).ok;
	let record: ThreadMessage = { ...message, text: truncateText(message.text, MAX_BODY_CHARS) };
	delete record.html;
	if (rawHtml) {
		let budget = MAX_BODY_CHARS;
		while (budget >= 500) {
			const html = sanitizeMailHtmlWithin(rawHtml, budget);
			if (!html) break;
			const candidate = { ...record, html };
			if (fits(candidate)) return candidate;
			budget = Math.floor(budget * 0.7);
		}
		record = { ...record, text: truncateText(record.text, MAX_BODY_CHARS - 60) + '\n\n[The HTML version was too long to keep.]' };
	}
	let max = MAX_BODY_CHARS;
	while (!fits(record) && max > 100) {
		max = Math.floor(max * 0.8);
		record = { ...record, text: truncateText(message.text, max) };
	}
	return record;
}
