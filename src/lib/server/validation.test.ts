import { describe, expect, it } from 'vitest';
import {
	Limits,
	parseEmail,
	parseInviteRole,
	parseName,
	parseNewPassword,
	parseOrgName,
	parsePassword,
	parseRedirect,
	parseToken
} from './validation.ts';

type Case = [label: string, input: FormDataEntryValue | null, expected: string | { error: RegExp }];

function table(name: string, parse: (v: FormDataEntryValue | null) => { ok: boolean; value?: unknown; message?: string }, cases: Case[]) {
	describe(name, () => {
		for (const [label, input, expected] of cases) {
			it(label, () => {
				const result = parse(input);
				if (typeof expected === 'string') expect(result).toEqual({ ok: true, value: expected });
				else {
					expect(result.ok).toBe(false);
					expect(result.message).toMatch(expected.error);
				}
			});
		}
	});
}

table('parseEmail', parseEmail, [
	['lower-cases and trims an address', '  Alice@Acme.TEST ', 'alice@acme.test'],
	['accepts plus addressing', 'a+b@x.io', 'a+b@x.io'],
	['refuses an empty field', '', { error: /Enter your email/ }],
	['refuses a missing field', null, { error: /Enter your email/ }],
	['refuses an address without @', 'alice.acme.test', { error: /does not look like/ }],
	['refuses an address without a domain dot', 'alice@localhost', { error: /does not look like/ }],
	['refuses header injection', 'a@b.c\r\nBcc: x@y.z', { error: /does not look like/ }],
	['refuses an oversized address', 'a'.repeat(250) + '@b.co', { error: /at most 254/ }]
]);

table('parseName', parseName, [
	['trims and collapses spaces', '  Alice   Archer ', 'Alice Archer'],
	['accepts non-Latin names', 'Zoë 山田', 'Zoë 山田'],
	['refuses an empty name', '   ', { error: /Enter your name/ }],
	['refuses an oversized name', 'x'.repeat(Limits.name + 1), { error: /at most 100/ }],
	['accepts a name at the limit', 'x'.repeat(Limits.name), 'x'.repeat(Limits.name)]
]);

table('parseNewPassword', parseNewPassword, [
	['accepts 8 characters', '12345678', '12345678'],
	['keeps spaces as typed', ' pass word ', ' pass word '],
	['refuses 7 characters', '1234567', { error: /at least 8/ }],
	['refuses an oversized password', 'p'.repeat(Limits.passwordMax + 1), { error: /at most 256/ }]
]);

table('parsePassword', parsePassword, [
	['accepts any non-empty password', 'short', 'short'],
	['refuses an empty password', '', { error: /Enter your password/ }],
	['refuses an oversized password', 'p'.repeat(10_000), { error: /at most/ }]
]);

table('parseOrgName', parseOrgName, [
	['trims', ' Acme Support ', 'Acme Support'],
	['refuses empty', '', { error: /Enter a name/ }],
	['refuses oversized', 'o'.repeat(Limits.orgName + 1), { error: /at most 80/ }],
	['refuses control characters', 'Acme\u0007', { error: /control characters/ }]
]);

table('parseToken', parseToken, [
	['accepts a base32 token', 'abcdefghijklmnopqrstuvwxyz234567', 'abcdefghijklmnopqrstuvwxyz234567'],
	['refuses characters outside base32', 'abc-def', { error: /not valid/ }],
	['refuses an empty token', '', { error: /not valid/ }],
	['refuses an oversized token', 'a'.repeat(101), { error: /not valid/ }]
]);

table('parseInviteRole', parseInviteRole, [
	['defaults to member', null, 'member'],
	['accepts admin', 'admin', 'admin'],
	['refuses owner (ownership is not handed out by invitation)', 'owner', { error: /Choose a role/ }],
	['refuses guest (guests are invited to conversations)', 'guest', { error: /Choose a role/ }]
]);

describe('parseRedirect', () => {
	const cases: [string, string | null, string][] = [
		['keeps a same-site path', '/orgs/1/members', '/orgs/1/members'],
		['keeps a query', '/invite/abc?x=1', '/invite/abc?x=1'],
		['drops another site', 'https://evil.example/', '/'],
		['drops a protocol-relative address', '//evil.example', '/'],
		['drops a backslash trick', '/\\evil.example', '/'],
		['drops nothing to /', null, '/']
	];
	for (const [label, input, expected] of cases) it(label, () => expect(parseRedirect(input)).toBe(expected));
});
