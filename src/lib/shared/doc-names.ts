// Document names (DESIGN.md §2). Each conversation is several Y.Docs, one per lane, so visibility
// is decided per document and a guest's replica never holds a byte of `internal`.

/** The lanes of a conversation. */
export const ConversationLane = { Thread: 'thread', Chat: 'chat', Tasks: 'tasks', Internal: 'internal', Drafts: 'drafts' } as const;
export type ConversationLane = (typeof ConversationLane)[keyof typeof ConversationLane];

/** The documents of a user. */
export const UserLane = { Inbox: 'inbox', Private: 'private' } as const;
export type UserLane = (typeof UserLane)[keyof typeof UserLane];

/** The documents of an organization. */
export const OrgLane = { Labels: 'labels', Canned: 'canned' } as const;
export type OrgLane = (typeof OrgLane)[keyof typeof OrgLane];

/** Every lane, for tables keyed by lane. */
export type Lane = ConversationLane | UserLane | OrgLane;

/** A parsed document name. */
export type DocRef =
	| { scope: 'conversation'; id: string; lane: ConversationLane }
	| { scope: 'user'; id: string; lane: UserLane }
	| { scope: 'org'; id: string; lane: OrgLane };

/** Ids in document names: the app's own ids (url-safe, bounded). */
const ID = /^[A-Za-z0-9_-]{1,64}$/;
const conversationLanes = new Set<string>(Object.values(ConversationLane));
const userLanes = new Set<string>(Object.values(UserLane));
const orgLanes = new Set<string>(Object.values(OrgLane));

/** Parses `c/<id>/<lane>`, `u/<id>/<lane>` or `o/<id>/<lane>`; null for anything else. */
export function parseDocName(name: string): DocRef | null {
	const parts = name.split('/');
	if (parts.length !== 3) return null;
	const [scope, id, lane] = parts;
	if (!ID.test(id)) return null;
	if (scope === 'c' && conversationLanes.has(lane)) return { scope: 'conversation', id, lane: lane as ConversationLane };
	if (scope === 'u' && userLanes.has(lane)) return { scope: 'user', id, lane: lane as UserLane };
	if (scope === 'o' && orgLanes.has(lane)) return { scope: 'org', id, lane: lane as OrgLane };
	return null;
}

/** The name of a document. */
export function formatDocName(ref: DocRef): string {
	const scope = ref.scope === 'conversation' ? 'c' : ref.scope === 'user' ? 'u' : 'o';
	return `${scope}/${ref.id}/${ref.lane}`;
}

/** The name of a conversation lane's document. */
export function conversationDoc(conversationId: string, lane: ConversationLane): string {
	return `c/${conversationId}/${lane}`;
}

/** The name of a user document (`u/<id>/inbox`, `u/<id>/private`). */
export function userDoc(userId: string, lane: UserLane): string {
	return `u/${userId}/${lane}`;
}

/** The name of an organization document (`o/<id>/labels`, `o/<id>/canned`). */
export function orgDoc(orgId: string, lane: OrgLane): string {
	return `o/${orgId}/${lane}`;
}

/** Names of all lane documents of a conversation. */
export function conversationDocs(conversationId: string): string[] {
	return Object.values(ConversationLane).map((lane) => conversationDoc(conversationId, lane));
}

/** The root `Y.Map`s each lane's document may hold (records keyed by id; see records.ts for their schemas). */
export const laneRoots = {
	thread: ['messages', 'events'],
	chat: ['messages'],
	tasks: ['tasks'],
	internal: ['labels', 'assignees', 'taskAssignees', 'history'],
	// the team's shared reply drafts, one per answered message (members only, like internal)
	drafts: ['replies'],
	inbox: ['conversations'],
	private: ['labels', 'reads', 'drafts', 'canned', 'signatures'],
	labels: ['labels'],
	// the organization's canned responses (a member's own are in `private`)
	canned: ['responses']
} as const satisfies Record<Lane, readonly string[]>;
