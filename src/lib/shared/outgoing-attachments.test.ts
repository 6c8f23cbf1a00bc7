import { describe, expect, it } from 'vitest';
import { checkOutgoingAttachments, sanitizeFilename } from './outgoing-attachments.ts';

const limits = { maxFiles: 2, maxFileBytes: 100, maxTotalBytes: 150 };

describe('sanitizeFilename', () => {
	it('keeps ordinary names, also non-ASCII ones', () => {
		expect(sanitizeFilename('Rechnung März.pdf')).toBe('Rechnung März.pdf');
	});
	it('keeps only the last path part and drops what breaks headers or hides files', () => {
		expect(sanitizeFilename('C:\\fakepath\\report.pdf')).toBe('report.pdf');
		expect(sanitizeFilename('../../etc/passwd')).toBe('passwd');
		expect(sanitizeFilename('a"b\r\nc.txt')).toBe('a_b__c.txt');
		expect(sanitizeFilename('.htaccess')).toBe('htaccess');
	});
	it('names a file that has no usable name', () => {
		expect(sanitizeFilename('', 'attachment-2')).toBe('attachment-2');
		expect(sanitizeFilename('...', 'attachment-1')).toBe('attachment-1');
	});
	it('shortens a long name to 255 characters, keeping the extension', () => {
		const out = sanitizeFilename('x'.repeat(400) + '.docx');
		expect(out).toHaveLength(255);
		expect(out.endsWith('.docx')).toBe(true);
	});
});

describe('checkOutgoingAttachments', () => {
	it('takes files within the limits, and none', () => {
		expect(checkOutgoingAttachments([{ name: 'a', size: 100 }, { name: 'b', size: 50 }], limits)).toEqual({ ok: true });
		expect(checkOutgoingAttachments([], limits)).toEqual({ ok: true });
	});
	it('names the file over the per-file limit', () => {
		expect(checkOutgoingAttachments([{ name: 'big.mov', size: 101 }], limits)).toEqual({ ok: false, message: '“big.mov” is too large (101 B): each file may be at most 100 B. Nothing was sent.' });
	});
	it('refuses too many files and too much in total', () => {
		expect(checkOutgoingAttachments([{ name: 'a', size: 1 }, { name: 'b', size: 1 }, { name: 'c', size: 1 }], limits)).toMatchObject({ ok: false, message: 'Attach at most 2 files to one email (3 chosen).' });
		expect(checkOutgoingAttachments([{ name: 'a', size: 100 }, { name: 'b', size: 51 }], limits)).toMatchObject({ ok: false, message: expect.stringContaining('151 B: one email may carry at most 150 B') });
	});
});
