// Who may see and do what (DESIGN.md §1). This module is the only place those rules live: the
// relay, SvelteKit loads/actions, notifications and the UI all ask it.
import type { ConversationLane, DocRef, OrgLane, UserLane } from './doc-names.ts';

/** A user's role in one conversation. */
export const Role = { Member: 'member', Guest: 'guest', None: 'none' } as const;
export type Role = (typeof Role)[keyof typeof Role];

/** A user's role in an organization (`memberships.role`). */
export type OrgRole = 'owner' | 'admin' | 'member';

/** What the caller knows about a user and a conversation; the grant is a function of these facts only. */
export interface AccessFacts {
	/** null: signed out. */
	userId: string | null;
	/** The user's membership in the conversation's organization. */
	orgRole: OrgRole | null;
	/** The user's row in conversation_participants, if any. */
	participantRole: 'member' | 'guest' | null;
	/** null: the conversation does not exist. */
	conversation: { orgId: string; kind: 'email' | 'channel'; guestsAllowed: boolean } | null;
	/** The conversation's organization. */
	org: { guestsAllowed: boolean; whoMayInvite: 'members' | 'admins' } | null;
}

/** What a connection may do with one document. */
export interface LaneGrant {
	read: boolean;
	write: boolean;
	presence: boolean;
	/**
	 * May remove other people's records of this lane (chat: replace a message by "message removed
	 * by <name>"; the write validator's record rules say what a removal is). Present only when true.
	 */
	moderate?: true;
}

/** Who may be @mentioned: anyone in the org, only people in the conversation, or nobody. */
export const MentionScope = { Organization: 'organization', Conversation: 'conversation', None: 'none' } as const;
export type MentionScope = (typeof MentionScope)[keyof typeof MentionScope];

/** Actions outside the CRDT (the second table of DESIGN.md §1). */
export interface ActionGrant {
	replyExternal: boolean;
	inviteGuest: boolean;
	revokeGuest: boolean;
	createConversation: boolean;
	editTasks: boolean;
	beAssigned: boolean;
	useLabels: boolean;
	/** Close, reopen, snooze (team-wide triage state, which guests never see). */
	changeStatus: boolean;
	mention: MentionScope;
	notificationSettings: boolean;
}

/** A user's access to one conversation: a role, one LaneGrant per lane document, and actions. */
export interface Grant {
	role: Role;
	lanes: Record<ConversationLane, LaneGrant>;
	actions: ActionGrant;
}

const NOTHING: LaneGrant = { read: false, write: false, presence: false };
const READ: LaneGrant = { read: true, write: false, presence: true };
const READ_WRITE: LaneGrant = { read: true, write: true, presence: true };

/**
 * The lanes table of DESIGN.md §1, one column per role. `write` on chat means "own messages";
 * the write validator enforces authorship. `moderate` is added by computeAccess (owners, admins). Thread is written by the server only.
 */
const laneTable: Record<Role, Record<ConversationLane, LaneGrant>> = {
	member: { thread: READ, chat: READ_WRITE, tasks: READ_WRITE, internal: READ_WRITE, drafts: READ_WRITE },
	// guests get presence only where they can read; internal and the team's reply drafts are never sent to them
	guest: { thread: READ, chat: READ_WRITE, tasks: READ, internal: NOTHING, drafts: NOTHING },
	none: { thread: NOTHING, chat: NOTHING, tasks: NOTHING, internal: NOTHING, drafts: NOTHING }
};

/** The actions table of DESIGN.md §1 (inviteGuest/revokeGuest are further limited by settings in computeAccess). */
const actionTable: Record<Role, ActionGrant> = {
	member: {
		replyExternal: true,
		inviteGuest: true,
		revokeGuest: true,
		createConversation: true,
		editTasks: true,
		beAssigned: true,
		useLabels: true,
		changeStatus: true,
		mention: MentionScope.Organization,
		notificationSettings: true
	},
	guest: {
		replyExternal: false,
		inviteGuest: false,
		revokeGuest: false,
		createConversation: false,
		editTasks: false,
		beAssigned: false,
		useLabels: false,
		changeStatus: false,
		mention: MentionScope.Conversation,
		notificationSettings: true
	},
	none: {
		replyExternal: false,
		inviteGuest: false,
		revokeGuest: false,
		createConversation: false,
		editTasks: false,
		beAssigned: false,
		useLabels: false,
		changeStatus: false,
		mention: MentionScope.None,
		notificationSettings: false
	}
};

function computeRole(facts: AccessFacts): Role {
	// a nonexistent conversation gets the same answer as a forbidden one
	if (facts.userId === null || facts.conversation === null) return Role.None;
	if (facts.orgRole !== null) return Role.Member;
	if (facts.participantRole !== 'guest') return Role.None;
	// turning guests off (org-wide or per conversation) shuts existing guests out at once
	if (!guestsAllowed(facts)) return Role.None;
	return Role.Guest;
}

function guestsAllowed(facts: AccessFacts): boolean {
	return facts.org !== null && facts.org.guestsAllowed && facts.conversation !== null && facts.conversation.guestsAllowed;
}

function mayManageGuests(facts: AccessFacts): boolean {
	if (!guestsAllowed(facts) || facts.org === null) return false;
	if (facts.org.whoMayInvite === 'admins') return facts.orgRole === 'owner' || facts.orgRole === 'admin';
	return facts.orgRole !== null;
}

function mayModerate(facts: AccessFacts): boolean {
	return facts.orgRole === 'owner' || facts.orgRole === 'admin';
}

/** Computes a user's grant on a conversation from facts: the single source of DESIGN.md §1. */
export function computeAccess(facts: AccessFacts): Grant {
	const role = computeRole(facts);
	// fresh objects: a caller that edits its grant must not change the table
	const t = laneTable[role];
	const lanes = { thread: { ...t.thread }, chat: { ...t.chat }, tasks: { ...t.tasks }, internal: { ...t.internal }, drafts: { ...t.drafts } };
	const actions = { ...actionTable[role] };
	if (role === Role.Member) {
		const manage = mayManageGuests(facts);
		actions.inviteGuest = manage;
		actions.revokeGuest = manage;
		// moderation: the organization's owners and admins may remove anyone's chat message in its
		// conversations (a guest's too); plain members only their own, guests only their own
		if (mayModerate(facts)) lanes.chat.moderate = true;
	}
	return { role, lanes, actions };
}

/** The grant of one lane document of a conversation. */
export function laneGrant(grant: Grant, lane: ConversationLane): LaneGrant {
	return grant.lanes[lane];
}

/** Whether a user with this organization role may create conversations and channels in it. */
export function canCreateConversation(orgRole: OrgRole | null): boolean {
	return orgRole !== null;
}

/** Whether a user with this organization role may change where the organization receives email (owners only: it is where customers write). */
export function canChangeInboxAddress(orgRole: OrgRole | null): boolean {
	return orgRole === 'owner';
}

/** Whether a user with this organization role may invite members, see pending invitations and change guest settings. */
export function canManageMembers(orgRole: OrgRole | null): boolean {
	return orgRole === 'owner' || orgRole === 'admin';
}

/**
 * Whether a person may use the search filters on members-only facts (label:, assignee:, is:) at
 * all, given her roles in her organizations: a member of at least one. Anyone else (a guest only)
 * is told they are not for her rather than finding nothing.
 */
export function canUseMembersOnlySearchFilters(orgRoles: OrgRole[]): boolean {
	return orgRoles.length > 0;
}

/**
 * Whether a search may match one conversation on its members-only facts (labels, assignees, triage
 * status): only where her grant reads `internal`. So a guest who is also a member of her own
 * organization finds its conversations by label, never a conversation she is a guest of.
 */
export function canMatchMembersOnlyFacts(grant: Grant): boolean {
	return grant.lanes.internal.read;
}

/**
 * The grant that decides taking guest access away (removing a guest, withdrawing a guest
 * invitation, a conversation's guest switch): decided as if guests were on, since it only takes
 * access away, so an admin can still clean up after turning guests off.
 */
export function computeGuestRemovalGrant(facts: AccessFacts): Grant {
	return computeAccess({
		...facts,
		org: facts.org && { ...facts.org, guestsAllowed: true },
		conversation: facts.conversation && { ...facts.conversation, guestsAllowed: true }
	});
}

/**
 * Whether a person who is not a member of the conversation's organization would be a guest of it
 * once they accept an invitation: both guest switches must be on now (settings may have changed
 * since the invitation was sent). Members never need to (they open it as members).
 */
export function canJoinAsGuest(facts: AccessFacts): boolean {
	return computeAccess({ ...facts, orgRole: null, participantRole: 'guest' }).role === Role.Guest;
}

/** Access of `userId` (null: signed out) to a user document: inbox is read-only to its owner (the server writes it), private is the owner's alone. */
export function computePersonalDocAccess(userId: string | null, ref: { id: string; lane: UserLane }): LaneGrant {
	if (userId === null || userId !== ref.id) return { ...NOTHING };
	return ref.lane === 'inbox' ? { read: true, write: false, presence: false } : { read: true, write: true, presence: false };
}

/** Access to an organization document (`o/<id>/labels`, `o/<id>/canned`) for a user with this role in that organization: members only. */
export function computeOrgDocAccess(orgRole: OrgRole | null, lane: OrgLane = 'labels'): LaneGrant {
	void lane; // every org lane (label definitions, canned responses) is members-only, never a guest's
	return orgRole === null ? { ...NOTHING } : { ...READ_WRITE };
}

/**
 * Access to any document: conversation lanes through computeAccess, user documents by `facts.userId`,
 * organization documents by `facts.orgRole` (which must then be the role in the organization `ref.id`).
 */
export function computeDocAccess(ref: DocRef, facts: AccessFacts): LaneGrant {
	switch (ref.scope) {
		case 'conversation':
			return { ...laneGrant(computeAccess(facts), ref.lane) };
		case 'user':
			return computePersonalDocAccess(facts.userId, ref);
		case 'org':
			return facts.userId === null ? { ...NOTHING } : computeOrgDocAccess(facts.orgRole, ref.lane);
	}
}
