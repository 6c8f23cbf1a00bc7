// Record schemas (DESIGN.md §2): each document's roots are Y.Maps of plain JSON records keyed by id,
// checked here by client and server alike, so every write is checkable from the update bytes alone.
import * as Y from 'yjs';
import { z } from 'zod';
import { ReasonCode } from './protocol.ts';
import { laneRoots, type Lane } from './doc-names.ts';

/** Largest JSON encoding of one record, in UTF-16 code units (bounds memory and work per value). */
export const MAX_RECORD_JSON = 16 * 1024;

/** Longest chat message text. */
export const MAX_CHAT_TEXT = 10_000;

/** App ids (users, orgs, conversations, tasks, labels): url-safe and bounded, as in document names. */
const id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const name = z.string().max(200);
const time = z.number().int().nonnegative();
const address = z.strictObject({ name: z.string().max(200), address: z.string().max(320) });

/** An external message of the conversation's thread (email today), written by the server. */
export const threadMessageSchema = z.strictObject({
	id,
	direction: z.enum(['in', 'out']),
	from: address,
	to: z.array(address).max(100),
	cc: z.array(address).max(100),
	subject: z.string().max(1000),
	text: z.string().max(12_000),
	/** Sanitized by the server before writing (thread documents are server-written only); the UI renders it as is. */
	html: z.string().max(12_000).optional(),
	sentAt: time,
	messageId: z.string().max(1000),
	attachments: z.array(z.strictObject({ id, name: z.string().max(255), size: time, contentType: z.string().max(255) })).max(100)
});
/** A record of `threadMessageSchema`. */
export type ThreadMessage = z.infer<typeof threadMessageSchema>;

/** A system event of the thread ("guest joined"), written by the server. */
export const threadEventSchema = z.strictObject({
	id,
	type: z.enum(['invitation-pending', 'invitation-accepted', 'invitation-withdrawn', 'guest-joined', 'guest-removed', 'conversation-created']),
	actorName: name,
	subjectName: name,
	at: time
});
/** A record of `threadEventSchema`. */
export type ThreadEvent = z.infer<typeof threadEventSchema>;

/** Chat keys: `<authorId>:<id>`, so the author is readable from the key in the update bytes. */
const chatKeySchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}:[A-Za-z0-9_-]{1,64}$/);

/**
 * An internal chat message; `id` is its key. A removed message keeps its key, author and time
 * (so it stays in place) and has no text or mentions, only who removed it: the remover's own
 * name, checked by the relay, because guests cannot look up an admin's name.
 */
export const chatMessageSchema = z
	.strictObject({
		id: chatKeySchema,
		authorId: id,
		text: z.string().max(MAX_CHAT_TEXT),
		mentions: z.array(id).max(100),
		createdAt: time,
		editedAt: time.optional(),
		removed: z.strictObject({ by: id, name: name.min(1), at: time }).optional()
	})
	.superRefine((m, ctx) => {
		if (m.removed === undefined && m.text.length === 0) ctx.addIssue({ code: 'custom', path: ['text'], message: 'A message needs text' });
		if (m.removed !== undefined && (m.text !== '' || m.mentions.length > 0)) {
			ctx.addIssue({ code: 'custom', path: ['removed'], message: 'A removed message keeps no text or mentions' });
		}
	});
/** A record of `chatMessageSchema`. */
export type ChatMessage = z.infer<typeof chatMessageSchema>;

/**
 * A members-only history event of a conversation (`internal.history`, so never sent to a guest):
 * a label or assignee change, written by the member's client in the same update as the change (the
 * relay checks that the key and `actorId` are hers), or a status change, written by the server
 * (`actorId` 'system' for what no person did). Names are looked up when shown.
 */
export const historyEventSchema = z.strictObject({
	id: chatKeySchema,
	type: z.enum(['label-added', 'label-removed', 'assigned', 'unassigned', 'closed', 'reopened', 'snoozed']),
	actorId: id,
	/** Label events: the label's id; assignment events: the member's user id. */
	target: id.optional(),
	/** Snoozed: until when. */
	until: time.optional(),
	/** A change nobody made by hand: new inbound mail, a reply ending a snooze, a snooze that came due. */
	reason: z.enum(['inbound', 'reply', 'wake']).optional(),
	at: time
});
/** A record of `historyEventSchema`. */
export type HistoryEvent = z.infer<typeof historyEventSchema>;

/** A task's guest-visible fields. */
export const taskSchema = z.strictObject({
	id,
	title: z.string().min(1).max(200),
	description: z.string().max(5000),
	status: z.enum(['open', 'done']),
	due: z.iso.date().nullable(),
	createdBy: id,
	createdAt: time,
	updatedAt: time,
	updatedBy: id
});
/** A record of `taskSchema`. */
export type Task = z.infer<typeof taskSchema>;

/** An org label applied to the conversation. */
export const appliedLabelSchema = z.strictObject({ labelId: id, appliedBy: id, appliedAt: time });
/** A record of `appliedLabelSchema`. */
export type AppliedLabel = z.infer<typeof appliedLabelSchema>;

/** A conversation assignee (a member). */
export const assigneeSchema = z.strictObject({ userId: id, assignedBy: id, assignedAt: time });
/** A record of `assigneeSchema`. */
export type Assignee = z.infer<typeof assigneeSchema>;

/** A task's assignee (a member), keyed by task id. */
export const taskAssigneeSchema = z.strictObject({ taskId: id, userId: id, assignedBy: id, assignedAt: time });
/** A record of `taskAssigneeSchema`. */
export type TaskAssignee = z.infer<typeof taskAssigneeSchema>;

/** A conversation in a user's inbox index, written by the server. */
export const inboxEntrySchema = z.strictObject({
	id,
	orgId: id,
	orgName: name,
	subject: z.string().max(1000),
	kind: z.enum(['email', 'channel']),
	role: z.enum(['member', 'guest']),
	snippet: z.string().max(500),
	lastActivityAt: time,
	// triage state: written into members' entries only (guests never see the team's triage)
	status: z.enum(['open', 'closed', 'snoozed']).optional(),
	snoozeUntil: time.optional(),
	// members only: when the team last sent an email in it (the Sent view)
	lastSentAt: time.optional()
});
/** A record of `inboxEntrySchema`. */
export type InboxEntry = z.infer<typeof inboxEntrySchema>;

/** A personal label applied to a conversation, keyed `<conversationId>:<labelId>`. */
export const personalLabelSchema = z.strictObject({ conversationId: id, labelId: id });
/** A record of `personalLabelSchema`. */
export type PersonalLabel = z.infer<typeof personalLabelSchema>;

/** A read marker, keyed by conversation id. */
export const readMarkerSchema = z.strictObject({ conversationId: id, lastReadAt: time });
/** A record of `readMarkerSchema`. */
export type ReadMarker = z.infer<typeof readMarkerSchema>;

/** An unsent draft, keyed by conversation id. */
export const draftSchema = z.strictObject({ conversationId: id, text: z.string().max(MAX_CHAT_TEXT), updatedAt: time });
/** A record of `draftSchema`. */
export type Draft = z.infer<typeof draftSchema>;

/**
 * The team's shared draft of a reply to one thread message (`c/<id>/drafts`, members only), keyed by
 * that message's id. `id` names this draft when it is sent, so however many members press Send it
 * goes out once; a sent draft is deleted and the next one gets a new id. `editedBy` (checked by the
 * relay to be the writer) tells the others who is writing.
 */
export const replyDraftSchema = z.strictObject({
	replyTo: id,
	id: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/),
	mode: z.enum(['reply', 'replyAll']),
	to: z.string().max(2000),
	cc: z.string().max(2000),
	text: z.string().max(MAX_CHAT_TEXT),
	quote: z.boolean(),
	editedBy: id,
	editedAt: time
});
/** A record of `replyDraftSchema`. */
export type ReplyDraft = z.infer<typeof replyDraftSchema>;

/** An organization label definition. */
export const labelSchema = z.strictObject({
	id,
	name: z.string().min(1).max(40),
	color: z.string().regex(/^#[0-9a-f]{6}$/i),
	createdBy: id
});
/** A record of `labelSchema`. */
export type Label = z.infer<typeof labelSchema>;

/**
 * A canned response: a reply text with variables (`{{contact.first_name}}`, templates.ts), the
 * organization's (`o/<id>/canned`) or a member's own (`private`), keyed by its id.
 */
export const cannedResponseSchema = z.strictObject({
	id,
	name: z.string().max(80).regex(/\S/, 'a name is required'),
	text: z.string().max(MAX_CHAT_TEXT).regex(/\S/, 'a text is required'),
	createdBy: id,
	updatedAt: time
});
/** A record of `cannedResponseSchema`. */
export type CannedResponse = z.infer<typeof cannedResponseSchema>;

/** A member's email signature for one organization (in `private`, keyed by the organization's id). */
export const signatureSchema = z.strictObject({ orgId: id, text: z.string().max(2000), updatedAt: time });
/** A record of `signatureSchema`. */
export type Signature = z.infer<typeof signatureSchema>;

/** The schema of every record type, by lane and root map (the roots of `laneRoots`). */
export const recordSchemas = {
	thread: { messages: threadMessageSchema, events: threadEventSchema },
	chat: { messages: chatMessageSchema },
	tasks: { tasks: taskSchema },
	internal: { labels: appliedLabelSchema, assignees: assigneeSchema, taskAssignees: taskAssigneeSchema, history: historyEventSchema },
	drafts: { replies: replyDraftSchema },
	inbox: { conversations: inboxEntrySchema },
	private: { labels: personalLabelSchema, reads: readMarkerSchema, drafts: draftSchema, canned: cannedResponseSchema, signatures: signatureSchema },
	labels: { labels: labelSchema },
	canned: { responses: cannedResponseSchema }
} as const satisfies { [L in Lane]: { [R in (typeof laneRoots)[L][number]]: z.ZodType } };

/** The root maps of a lane's document. */
export type RootOf<L extends Lane> = keyof (typeof recordSchemas)[L] & string;

/** The record type stored in a root map of a lane's document. */
export type RecordOf<L extends Lane, R extends RootOf<L>> = z.infer<(typeof recordSchemas)[L][R]>;

/** The key each record must be stored under, derived from its own fields (keys and values cannot disagree). */
const keyOf: { [L in Lane]: { [R in RootOf<L>]: (value: RecordOf<L, R>) => string } } = {
	thread: { messages: (v) => v.id, events: (v) => v.id },
	chat: { messages: (v) => v.id },
	tasks: { tasks: (v) => v.id },
	internal: { labels: (v) => v.labelId, assignees: (v) => v.userId, taskAssignees: (v) => v.taskId, history: (v) => v.id },
	drafts: { replies: (v) => v.replyTo },
	inbox: { conversations: (v) => v.id },
	private: { labels: (v) => `${v.conversationId}:${v.labelId}`, reads: (v) => v.conversationId, drafts: (v) => v.conversationId, canned: (v) => v.id, signatures: (v) => v.orgId },
	labels: { labels: (v) => v.id },
	canned: { responses: (v) => v.id }
};

/** The outcome of validating one record. */
export type RecordVerdict = { ok: true } | { ok: false; reason: ReasonCode; message: string };

/** Whether `root` is a root map of `lane`'s document. */
export function isLaneRoot<L extends Lane>(lane: L, root: string): root is RootOf<L> {
	return Object.hasOwn(recordSchemas[lane] ?? {}, root);
}

/** Plain JSON data only: no prototypes smuggled in by a decoded `__proto__` key, no bigint, NaN or binary. */
function isPlainJson(value: unknown, depth: number): boolean {
	if (depth > 8) return false;
	if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
	if (typeof value === 'number') return Number.isFinite(value);
	if (typeof value !== 'object') return depth > 0 && value === undefined; // `editedAt: undefined` is an absent field
	if (Array.isArray(value)) return Object.getPrototypeOf(value) === Array.prototype && value.every((v) => v !== undefined && isPlainJson(v, depth + 1));
	if (Object.getPrototypeOf(value) !== Object.prototype) return false;
	return Object.values(value).every((v) => isPlainJson(v, depth + 1));
}

/** Checks one record against its root's schema, the size cap, and the key it is stored under. Never throws. */
export function validateRecord(lane: Lane, root: string, key: string, value: unknown): RecordVerdict {
	if (!isLaneRoot(lane, root)) return { ok: false, reason: ReasonCode.UnknownRoot, message: `No root "${root}" in ${lane}` };
	if (!isPlainJson(value, 0)) return { ok: false, reason: ReasonCode.InvalidRecord, message: 'Not a plain JSON object' };
	let json: string | undefined;
	try {
		json = JSON.stringify(value);
	} catch {
		return { ok: false, reason: ReasonCode.InvalidRecord, message: 'Not a JSON value' };
	}
	if (json === undefined) return { ok: false, reason: ReasonCode.InvalidRecord, message: 'Not a JSON value' };
	if (json.length > MAX_RECORD_JSON) return { ok: false, reason: ReasonCode.TooLarge, message: `Record over ${MAX_RECORD_JSON} bytes` };
	const schema = recordSchemas[lane][root] as z.ZodType;
	// check the JSON copy: only own enumerable data counts (a decoded `__proto__` key cannot lend fields)
	const parsed = schema.safeParse(JSON.parse(json));
	if (!parsed.success) {
		const issue = parsed.error.issues[0];
		return { ok: false, reason: ReasonCode.InvalidRecord, message: `${lane}.${root}: ${issue.path.join('.') || 'value'}: ${issue.message}` };
	}
	const expected = (keyOf[lane] as Record<string, (v: unknown) => string>)[root](parsed.data);
	if (key !== expected) return { ok: false, reason: ReasonCode.InvalidRecord, message: `${lane}.${root}: key must be "${expected}"` };
	return { ok: true };
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A new sortable, url-safe random id: 10 base32 characters of milliseconds, then 16 random (a ULID). */
export function createId(now: number = Date.now()): string {
	let time = '';
	let t = Math.max(0, Math.floor(now));
	for (let i = 0; i < 10; i++) {
		time = CROCKFORD[t % 32] + time;
		t = Math.floor(t / 32);
	}
	const bytes = new Uint8Array(16);
	crypto.getRandomValues(bytes);
	let random = '';
	for (const b of bytes) random += CROCKFORD[b & 31];
	return time + random;
}

/** The record that replaces a chat message removed by `by` (a moderator, or its author). */
export function removedChatMessage(message: ChatMessage, by: { id: string; name: string }, at: number): ChatMessage {
	return { id: message.id, authorId: message.authorId, text: '', mentions: [], createdAt: message.createdAt, removed: { by: by.id, name: by.name, at } };
}

/** The key of a chat message: `<authorId>:<id>`. */
export function chatKey(authorId: string, id: string): string {
	return `${authorId}:${id}`;
}

/** The key of a personal label in `private.labels`: `<conversationId>:<labelId>`. */
export function personalLabelKey(conversationId: string, labelId: string): string {
	return `${conversationId}:${labelId}`;
}

/** The valid records of a root map of a lane's document, by key (invalid values, which the relay never accepts, are skipped). */
export function getRecords<L extends Lane, R extends RootOf<L>>(doc: Y.Doc, lane: L, root: R): Map<string, RecordOf<L, R>> {
	const out = new Map<string, RecordOf<L, R>>();
	for (const [key, value] of doc.getMap<unknown>(root).entries()) {
		if (validateRecord(lane, root, key, value).ok) out.set(key, value as RecordOf<L, R>);
	}
	return out;
}

/** One valid record, or undefined. */
export function getRecord<L extends Lane, R extends RootOf<L>>(doc: Y.Doc, lane: L, root: R, key: string): RecordOf<L, R> | undefined {
	const value = doc.getMap<unknown>(root).get(key);
	return value !== undefined && validateRecord(lane, root, key, value).ok ? (value as RecordOf<L, R>) : undefined;
}

/** Writes a record as one plain JSON value if it is valid; returns the verdict and changes nothing when it is not. */
export function setRecord<L extends Lane, R extends RootOf<L>>(doc: Y.Doc, lane: L, root: R, key: string, value: RecordOf<L, R>): RecordVerdict {
	const verdict = validateRecord(lane, root, key, value);
	// a copy through JSON: the stored value is plain data, never a live object the caller keeps mutating
	if (verdict.ok) doc.getMap<unknown>(root).set(key, JSON.parse(JSON.stringify(value)));
	return verdict;
}

/** Removes a record (a no-op when absent). */
export function deleteRecord<L extends Lane>(doc: Y.Doc, lane: L, root: RootOf<L>, key: string): void {
	void lane; // for symmetry with setRecord: the root is named within its lane
	const map = doc.getMap<unknown>(root);
	if (map.has(key)) map.delete(key);
}
