import { describe, expect, it } from 'vitest';
import { formatAddressList, parseAddressList, withoutAddresses } from './addresses.ts';

describe('parseAddressList', () => {
	it.each([
		['dana@example.com', [{ name: '', address: 'dana@example.com' }]],
		['Dana <dana@example.com>', [{ name: 'Dana', address: 'dana@example.com' }]],
		['"Doe, Jane" <jane@example.com>, ops@example.org', [{ name: 'Doe, Jane', address: 'jane@example.com' }, { name: '', address: 'ops@example.org' }]],
		['a@x.io; b@x.io\nc@x.io', [{ name: '', address: 'a@x.io' }, { name: '', address: 'b@x.io' }, { name: '', address: 'c@x.io' }]],
		['a@x.io, A@X.IO', [{ name: '', address: 'a@x.io' }]],
		['  ,  ', []],
		['', []]
	])('reads %j', (input, expected) => {
		expect(parseAddressList(input)).toEqual({ ok: true, addresses: expected });
	});

	it.each([
		['dana', 'dana'],
		['dana@', 'dana@'],
		['dana@localhost', 'dana@localhost'],
		['a@x.io, not an address', 'not an address'],
		['Dana <dana@example.com', 'Dana <dana@example.com'],
		['two@@x.io', 'two@@x.io'],
		['a b@x.io', 'a b@x.io']
	])('refuses %j and names the entry', (input, entry) => {
		const result = parseAddressList(input, 'Cc');
		expect(result.ok).toBe(false);
		if (!result.ok) expect(result.message).toBe(`Cc: “${entry}” is not an email address.`);
	});

	it('refuses more than 50 addresses', () => {
		const many = Array.from({ length: 51 }, (_, i) => `p${i}@x.io`).join(',');
		expect(parseAddressList(many)).toEqual({ ok: false, message: 'To may hold at most 50 addresses.' });
	});

	it('reads back what formatAddressList writes', () => {
		const list = [{ name: 'Doe, Jane', address: 'jane@example.com' }, { name: '', address: 'ops@example.org' }];
		expect(parseAddressList(formatAddressList(list))).toEqual({ ok: true, addresses: list });
	});

	it('withoutAddresses drops the inbox in any case', () => {
		expect(withoutAddresses([{ name: '', address: 'ACME@parley.localhost' }, { name: '', address: 'd@x.io' }], ['acme@parley.localhost'])).toEqual([{ name: '', address: 'd@x.io' }]);
	});
});
