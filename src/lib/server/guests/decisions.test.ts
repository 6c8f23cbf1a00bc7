// The pure guest decisions as tables: who may invite whom, and who may accept.
import { describe, expect, it } from 'vitest';
import { computeAcceptRefusal } from './acceptance.ts';
import { computeGuestInvitationRefusal, type GuestInvitationFacts, type GuestInvitationView } from './invitations.ts';
import { GuestMessages } from './messages.ts';
import type { AccessFacts } from '../../shared/policy.ts';

const facts = (over: Partial<AccessFacts> = {}, org: Partial<NonNullable<AccessFacts['org']>> = {}, conv: Partial<NonNullable<AccessFacts['conversation']>> = {}): AccessFacts => ({
	userId: 'u1',
	orgRole: 'member',
	participantRole: null,
	conversation: { orgId: 'o1', kind: 'email', guestsAllowed: true, ...conv },
	org: { guestsAllowed: true, whoMayInvite: 'members', ...org },
	...over
});

const base = (over: Partial<GuestInvitationFacts> = {}): GuestInvitationFacts => ({
	facts: facts(),
	orgName: 'Acme',
	inviteeIsMember: false,
	inviteeIsGuestHere: false,
	inviterGuests: new Set(),
	guestsPerInviter: 5,
	inviteeConversations: 0,
	conversationsPerGuest: 5,
	...over
});

describe('computeGuestInvitationRefusal', () => {
	const cases: Array<[string, GuestInvitationFacts, null | { status: number; message: string | RegExp }]> = [
		['a member invites', base(), null],
		['guests off for the org', base({ facts: facts({}, { guestsAllowed: false }) }), { status: 403, message: GuestMessages.orgOff }],
		['guests off for the conversation', base({ facts: facts({}, {}, { guestsAllowed: false }) }), { status: 403, message: GuestMessages.conversationOff }],
		['admins only, a member', base({ facts: facts({}, { whoMayInvite: 'admins' }) }), { status: 403, message: GuestMessages.adminsOnly }],
		['admins only, an admin', base({ facts: facts({ orgRole: 'admin' }, { whoMayInvite: 'admins' }) }), null],
		['a guest', base({ facts: facts({ orgRole: null, participantRole: 'guest' }) }), { status: 404, message: GuestMessages.notFound }],
		['an outsider', base({ facts: facts({ orgRole: null }) }), { status: 404, message: GuestMessages.notFound }],
		['no such conversation', base({ facts: facts({ conversation: null, org: null }) }), { status: 404, message: GuestMessages.notFound }],
		['the address is a member', base({ inviteeIsMember: true }), { status: 400, message: /no invitation needed/ }],
		['already a guest here', base({ inviteeIsGuestHere: true }), { status: 400, message: GuestMessages.alreadyGuest }],
		['inviter at the limit, new address', base({ inviterGuests: new Set(['a@x', 'b@x']), guestsPerInviter: 2 }), { status: 400, message: /limit of 2 guests/ }],
		['inviter at the limit, known address', base({ inviterGuests: new Set(['g@x', 'b@x']), guestsPerInviter: 2 }), null],
		['guest at the conversation limit', base({ inviteeConversations: 5 }), { status: 400, message: /already a guest in 5 conversations/ }]
	];
	for (const [name, input, expected] of cases) {
		it(name, () => {
			const refusal = computeGuestInvitationRefusal('g@x', input);
			if (expected === null) expect(refusal).toBeNull();
			else expect(refusal).toMatchObject(expected);
		});
	}
});

describe('computeAcceptRefusal', () => {
	const valid: GuestInvitationView = { status: 'valid', email: 'g@x', conversationId: 'c1' };
	const gina = { id: 'u2', email: 'g@x', name: 'Gina' };
	const other = { id: 'u3', email: 'other@x', name: 'Otto' };
	const outsider = facts({ orgRole: null });
	const cases: Array<[string, GuestInvitationView, typeof gina, AccessFacts, boolean, null | Record<string, unknown>]> = [
		['the invited address accepts', valid, gina, outsider, false, null],
		['used', { ...valid, status: 'accepted' }, gina, outsider, false, { status: 400, message: /already been used/ }],
		['expired', { ...valid, status: 'expired' }, gina, outsider, false, { status: 400, message: /expired/ }],
		['withdrawn', { ...valid, status: 'revoked' }, gina, outsider, false, { status: 400, message: /withdrawn/ }],
		['unknown', { status: 'unknown' }, gina, outsider, false, { status: 400, message: /not valid/ }],
		['another account, unconfirmed', valid, other, outsider, false, { needsConfirmation: true, message: /sent to g@x, but you are signed in as other@x/ }],
		['another account, confirmed', valid, other, outsider, true, null],
		['guests turned off since', valid, gina, facts({ orgRole: null }, { guestsAllowed: false }), false, { status: 403, message: GuestMessages.acceptOff }],
		['a member of the org (sent to the conversation)', valid, gina, facts({}, { guestsAllowed: false }), false, null]
	];
	for (const [name, view, user, f, confirm, expected] of cases) {
		it(name, () => {
			const refusal = computeAcceptRefusal(view, user, f, confirm);
			if (expected === null) expect(refusal).toBeNull();
			else expect(refusal).toMatchObject(expected);
		});
	}
});
