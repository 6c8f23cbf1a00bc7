import { describe, it, expect } from 'vitest';
import {
	computeAccess,
	computeDocAccess,
	computeOrgDocAccess,
	computePersonalDocAccess,
	canCreateConversation,
	canChangeInboxAddress,
	canJoinAsGuest,
	canManageMembers,
	computeGuestRemovalGrant,
	laneGrant,
	type AccessFacts,
	type ActionGrant,
	type LaneGrant,
	type Role
} from './policy.ts';
import type { ConversationLane } from './doc-names.ts';

const conversation = { orgId: 'org1', kind: 'email', guestsAllowed: true } as const;
const org = { guestsAllowed: true, whoMayInvite: 'members' } as const;

/** The people of the table: each a set of facts about one conversation of org1. */
const people = {
	owner: { userId: 'u-owner', orgRole: 'owner', participantRole: null, conversation, org },
	admin: { userId: 'u-admin', orgRole: 'admin', participantRole: null, conversation, org },
	member: { userId: 'u-member', orgRole: 'member', participantRole: 'member', conversation, org },
	'member not a participant': { userId: 'u-m2', orgRole: 'member', participantRole: null, conversation, org },
	guest: { userId: 'u-guest', orgRole: null, participantRole: 'guest', conversation, org },
	'guest, guests off for the org': {
		userId: 'u-guest', orgRole: null, participantRole: 'guest', conversation, org: { ...org, guestsAllowed: false }
	},
	'guest, guests off for the conversation': {
		userId: 'u-guest', orgRole: null, participantRole: 'guest', conversation: { ...conversation, guestsAllowed: false }, org
	},
	'member of another org': { userId: 'u-other', orgRole: null, participantRole: null, conversation, org },
	'stale participant row, no longer in the org': {
		userId: 'u-left', orgRole: null, participantRole: 'member', conversation, org
	},
	'signed out': { userId: null, orgRole: null, participantRole: null, conversation, org },
	'member, conversation does not exist': { userId: 'u-member', orgRole: 'member', participantRole: null, conversation: null, org },
	'anyone, conversation does not exist': { userId: 'u-other', orgRole: null, participantRole: null, conversation: null, org: null }
} satisfies Record<string, AccessFacts>;
type Person = keyof typeof people;

const roles: Array<[Person, Role]> = [
	['owner', 'member'],
	['admin', 'member'],
	['member', 'member'],
	['member not a participant', 'member'],
	['guest', 'guest'],
	['guest, guests off for the org', 'none'],
	['guest, guests off for the conversation', 'none'],
	['member of another org', 'none'],
	['stale participant row, no longer in the org', 'none'],
	['signed out', 'none'],
	['member, conversation does not exist', 'none'],
	['anyone, conversation does not exist', 'none']
];

describe('computeAccess: roles', () => {
	it.each(roles)('makes %s a %s of the conversation', (person, role) => {
		expect(computeAccess(people[person]).role).toBe(role);
	});
});

const r = { read: true, write: false, presence: true };
const rw = { read: true, write: true, presence: true };
const no = { read: false, write: false, presence: false };

// DESIGN.md §1, first table: one row per lane, columns member / guest / none.
const laneRows: Array<[string, ConversationLane, LaneGrant, LaneGrant, LaneGrant]> = [
	['thread (external messages, events): read for both, written by the server only', 'thread', r, r, no],
	['chat: read and write own messages for both', 'chat', rw, rw, no],
	['tasks: member read-write, guest read-only', 'tasks', rw, r, no],
	['internal (labels, assignees): member read-write, never sent to guests', 'internal', rw, no, no],
	['drafts (the team\'s shared reply drafts): member read-write, never sent to guests', 'drafts', rw, no, no]
];

describe('computeAccess: lanes table', () => {
	it.each(laneRows)('%s', (_row, lane, member, guest, none) => {
		expect(laneGrant(computeAccess(people.member), lane)).toEqual(member);
		expect(laneGrant(computeAccess(people.guest), lane)).toEqual(guest);
		for (const p of ['member of another org', 'signed out', 'guest, guests off for the org', 'anyone, conversation does not exist'] as const) {
			expect(laneGrant(computeAccess(people[p]), lane)).toEqual(none);
		}
	});

	it('gives guests presence only on lanes they can read', () => {
		const { lanes } = computeAccess(people.guest);
		for (const lane of Object.values(lanes)) expect(lane.presence).toBe(lane.read);
	});
});

// DESIGN.md §1, second table: one row per action, columns member / guest (none: always false).
const actionRows: Array<[string, keyof ActionGrant, unknown, unknown, unknown]> = [
	['reply to an external message: member only', 'replyExternal', true, false, false],
	['invite a guest: member only', 'inviteGuest', true, false, false],
	['revoke a guest: member only', 'revokeGuest', true, false, false],
	['create a conversation or channel: member only', 'createConversation', true, false, false],
	['create/edit/close/reopen a task: member only', 'editTasks', true, false, false],
	['be assigned a conversation or task: member only', 'beAssigned', true, false, false],
	['see, apply, create labels: member only', 'useLabels', true, false, false],
	['close, reopen, snooze a conversation (team-wide triage): member only', 'changeStatus', true, false, false],
	['@mention: anyone in the org for members, only the conversation for guests', 'mention', 'organization', 'conversation', 'none'],
	['notification settings for themselves: member and guest', 'notificationSettings', true, true, false]
];

describe('computeAccess: actions table', () => {
	it.each(actionRows)('%s', (_row, action, member, guest, none) => {
		expect(computeAccess(people.member).actions[action]).toBe(member);
		expect(computeAccess(people.guest).actions[action]).toBe(guest);
		expect(computeAccess(people['member of another org']).actions[action]).toBe(none);
		expect(computeAccess(people['signed out']).actions[action]).toBe(none);
	});
});

const adminsOnly = { ...org, whoMayInvite: 'admins' } as const;
const inviteCases: Array<[string, AccessFacts, boolean]> = [
	['lets a member invite when members may invite', people.member, true],
	['lets an owner invite when only admins may invite', { ...people.owner, org: adminsOnly }, true],
	['lets an admin invite when only admins may invite', { ...people.admin, org: adminsOnly }, true],
	['does not let a plain member invite when only admins may invite', { ...people.member, org: adminsOnly }, false],
	['does not let an admin invite when guests are off for the org', { ...people.admin, org: { ...org, guestsAllowed: false } }, false],
	[
		'does not let an admin invite when guests are off for the conversation',
		{ ...people.admin, conversation: { ...conversation, guestsAllowed: false } },
		false
	],
	['does not let a guest invite', people.guest, false]
];

describe('computeAccess: invite and revoke guests', () => {
	it.each(inviteCases)('%s', (_name, facts, allowed) => {
		const { actions } = computeAccess(facts);
		expect(actions.inviteGuest).toBe(allowed);
		expect(actions.revokeGuest).toBe(allowed);
	});
});

const guestsOffForOrg = { ...org, guestsAllowed: false } as const;
const guestsOffHere = { ...conversation, guestsAllowed: false } as const;
// role and revokeGuest of the removal grant: guest switches do not matter, everything else does
const removalCases: Array<[string, AccessFacts, Role, boolean]> = [
	['a member may remove guests', people.member, 'member', true],
	['an admin may remove guests after turning them off for the org', { ...people.admin, org: guestsOffForOrg }, 'member', true],
	['a member may remove guests after they were turned off for the conversation', { ...people.member, conversation: guestsOffHere }, 'member', true],
	['a plain member may not when only admins manage guests, switches off or not', { ...people.member, org: { ...guestsOffForOrg, whoMayInvite: 'admins' } }, 'member', false],
	['an owner may when only admins manage guests', { ...people.owner, org: adminsOnly }, 'member', true],
	['a guest may not', people.guest, 'guest', false],
	['a guest of a conversation with guests off still may not (and gets no role back)', { ...people['guest, guests off for the org'] }, 'guest', false],
	['someone from another org may not', people['member of another org'], 'none', false],
	['a nonexistent conversation: nobody', people['member, conversation does not exist'], 'none', false]
];

describe('computeGuestRemovalGrant: taking guest access away, as if guests were on', () => {
	it.each(removalCases)('%s', (_name, facts, role, revoke) => {
		const grant = computeGuestRemovalGrant(facts);
		expect(grant.role).toBe(role);
		expect(grant.actions.revokeGuest).toBe(revoke);
	});

	it('changes nothing about who may invite: computeAccess still refuses while guests are off', () => {
		expect(computeAccess({ ...people.admin, org: guestsOffForOrg }).actions.revokeGuest).toBe(false);
	});
});

const joinCases: Array<[string, AccessFacts, boolean]> = [
	['someone from another org, guests on', people['member of another org'], true],
	['someone already a guest here', people.guest, true],
	['guests off for the org', { ...people['member of another org'], org: guestsOffForOrg }, false],
	['guests off for the conversation', { ...people['member of another org'], conversation: guestsOffHere }, false],
	['the conversation does not exist', people['anyone, conversation does not exist'], false],
	['signed out', people['signed out'], false]
];

describe('canJoinAsGuest: accepting a guest invitation needs both switches on now', () => {
	it.each(joinCases)('%s: %s', (_name, facts, allowed) => {
		expect(canJoinAsGuest(facts)).toBe(allowed);
	});
});

describe('canManageMembers', () => {
	it.each([
		['owner', true],
		['admin', true],
		['member', false],
		[null, false]
	] as const)('org role %s: %s', (orgRole, allowed) => {
		expect(canManageMembers(orgRole)).toBe(allowed);
	});
});

describe('computeAccess: unknown and forbidden look the same', () => {
	it('gives a nonexistent conversation the same grant as one the user may not see', () => {
		expect(computeAccess(people['anyone, conversation does not exist'])).toEqual(computeAccess(people['member of another org']));
		expect(computeAccess(people['member, conversation does not exist'])).toEqual(computeAccess(people['signed out']));
	});

	it('returns a fresh grant each time (callers may not corrupt the table)', () => {
		const a = computeAccess(people.member);
		a.lanes.internal.write = false;
		a.actions.editTasks = false;
		expect(computeAccess(people.member).lanes.internal.write).toBe(true);
		expect(computeAccess(people.member).actions.editTasks).toBe(true);
	});
});

const personalCases: Array<[string, string | null, 'inbox' | 'private', LaneGrant]> = [
	['lets a user read their own inbox but not write it (server-written)', 'u1', 'inbox', { read: true, write: false, presence: false }],
	['lets a user read and write their own private document', 'u1', 'private', { read: true, write: true, presence: false }],
	["shuts another user out of someone's inbox", 'u2', 'inbox', no],
	["shuts another user out of someone's private document", 'u2', 'private', no],
	['shuts a signed-out user out of private documents', null, 'private', no]
];

describe('computePersonalDocAccess', () => {
	it.each(personalCases)('%s', (_name, userId, lane, grant) => {
		expect(computePersonalDocAccess(userId, { id: 'u1', lane })).toEqual(grant);
		expect(computeDocAccess({ scope: 'user', id: 'u1', lane }, { ...people['signed out'], userId })).toEqual(grant);
	});
});

describe('computeOrgDocAccess', () => {
	it.each([
		['owner', rw],
		['admin', rw],
		['member', rw],
		[null, no]
	] as const)('gives org role %s this access to the label definitions', (orgRole, grant) => {
		expect(computeOrgDocAccess(orgRole)).toEqual(grant);
		expect(canCreateConversation(orgRole)).toBe(orgRole !== null);
		expect(canChangeInboxAddress(orgRole)).toBe(orgRole === 'owner');
	});

	it('shuts a signed-out user out even with a stale role', () => {
		expect(computeDocAccess({ scope: 'org', id: 'org1', lane: 'labels' }, { ...people.member, userId: null })).toEqual(no);
	});

	it('routes conversation documents through computeAccess', () => {
		expect(computeDocAccess({ scope: 'conversation', id: 'c1', lane: 'internal' }, people.guest)).toEqual(no);
		expect(computeDocAccess({ scope: 'conversation', id: 'c1', lane: 'drafts' }, people.guest)).toEqual(no);
		expect(computeDocAccess({ scope: 'conversation', id: 'c1', lane: 'tasks' }, people.guest)).toEqual(r);
	});
});

// Moderation: an organization's owners and admins may remove anyone's chat message in its
// conversations; plain members and guests only their own (the validator's record rules).
const moderationRows: Array<[Person, boolean]> = [
	['owner', true],
	['admin', true],
	['member', false],
	['member not a participant', false],
	['guest', false],
	['member of another org', false],
	['signed out', false],
	['member, conversation does not exist', false]
];

describe('computeAccess: moderation of chat', () => {
	it.each(moderationRows)('%s may remove others\' chat messages: %s', (person, allowed) => {
		const { lanes } = computeAccess(people[person]);
		expect(lanes.chat.moderate === true).toBe(allowed);
		// only chat is moderated, and moderation never widens what can be read or written
		for (const lane of ['thread', 'tasks', 'internal'] as const) expect(lanes[lane].moderate).toBeUndefined();
		if (allowed) expect(lanes.chat).toEqual({ read: true, write: true, presence: true, moderate: true });
	});

	it('reaches the relay through computeDocAccess', () => {
		expect(computeDocAccess({ scope: 'conversation', id: 'c1', lane: 'chat' }, people.admin).moderate).toBe(true);
		expect(computeDocAccess({ scope: 'conversation', id: 'c1', lane: 'chat' }, people.guest).moderate).toBeUndefined();
	});
});
