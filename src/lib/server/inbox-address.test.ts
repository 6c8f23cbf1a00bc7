import { describe, expect, it } from 'vitest';
import { parseInboxAddress, slugForInbox } from './inbox-address.ts';

describe('inbox addresses', () => {
	it('derives a local part from an organization name', () => {
		expect(slugForInbox('Érin Design & Co')).toBe('erin-design-co');
		expect(slugForInbox('  ACME Support  ')).toBe('acme-support');
		expect(slugForInbox('株式会社')).toBe('team');
		expect(slugForInbox('x'.repeat(39) + ' y')).toBe('x'.repeat(39));
	});

	it('accepts a bare local part or an address at the inbound domain, lower-cased', () => {
		expect(parseInboxAddress('Support', 'parley.localhost')).toEqual({ ok: true, value: 'support@parley.localhost' });
		expect(parseInboxAddress(' Help.Desk+1@Parley.Localhost ', 'parley.localhost')).toEqual({ ok: true, value: 'help.desk+1@parley.localhost' });
	});

	it('refuses other domains, odd characters, dots at the ends and empty input', () => {
		for (const bad of ['help@example.com', 'two words', '.dot', 'dot.', 'a..b', '', 'x'.repeat(65), 'a@b@parley.localhost']) {
			expect(parseInboxAddress(bad, 'parley.localhost').ok, bad).toBe(false);
		}
	});
});
