// Keeps the full-text index (search_docs + search_fts, drizzle/0005_search.sql) in step with the
// documents: what one lane's rows should be, and the statements that reconcile them with what is
// stored (new and changed records written, records gone or no longer searchable — a removed chat
// message — deleted). When to do it is search-indexer.ts's job.
// Reading the lane, not decoding the update, is deliberate: an overwrite or a delete in a Yjs
// update does not name its map key, only the item it follows or deletes.
// Only the lanes guests may also read are indexed as text (thread, chat, tasks): no label or
// assignee text can come back as a guest's hit. Of `internal`, only ids are kept (search_tags:
// applied label ids, assignee user ids) for the members-only label:/assignee: filters (search.ts).
import * as Y from 'yjs';
import type { Client, InStatement } from '@libsql/client';
import { conversationDoc, parseDocName } from '../shared/doc-names.ts';
import { appliedLabelSchema, assigneeSchema, chatMessageSchema, taskSchema, threadMessageSchema } from '../shared/records.ts';

type IndexedLane = 'thread' | 'chat' | 'tasks';
/** The one root of each indexed lane that holds searchable records (thread events are not). */
const ROOT: Record<IndexedLane, string> = { thread: 'messages', chat: 'messages', tasks: 'tasks' };

export type SearchRow = {
	conversationId: string;
	lane: IndexedLane;
	key: string;
	at: number;
	hasAttachment: boolean;
	subject: string;
	body: string;
	sender: string;
	recipients: string;
};

const person = (p: { name: string; address: string }) => `${p.name} ${p.address}`.trim();
// the snippet markers (search.ts) are these control characters; indexed text never holds them
const clean = (text: string) => text.replace(/[\u0002\u0003]/g, ' ');

/** The row for one record of a lane, or null when the record is not searchable (a removed chat message). */
export function searchRowOf(conversationId: string, lane: IndexedLane, key: string, value: unknown, authorName?: string): SearchRow | null {
	const row = rawRowOf(conversationId, lane, key, value, authorName);
	return row && { ...row, subject: clean(row.subject), body: clean(row.body), sender: clean(row.sender), recipients: clean(row.recipients) };
}

function rawRowOf(conversationId: string, lane: IndexedLane, key: string, value: unknown, authorName?: string): SearchRow | null {
	if (lane === 'thread') {
		const m = threadMessageSchema.safeParse(value);
		if (!m.success) return null;
		const d = m.data;
		return {
			conversationId,
			lane,
			key,
			at: d.sentAt,
			hasAttachment: d.attachments.length > 0,
			subject: d.subject,
			// attachment names are found too ("invoice.pdf")
			body: [d.text, ...d.attachments.map((a) => a.name)].join('\n'),
			sender: person(d.from),
			recipients: [...d.to, ...d.cc].map(person).join(' ')
		};
	}
	if (lane === 'chat') {
		const m = chatMessageSchema.safeParse(value);
		if (!m.success || m.data.removed) return null;
		return { conversationId, lane, key, at: m.data.createdAt, hasAttachment: false, subject: '', body: m.data.text, sender: authorName ?? '', recipients: '' };
	}
	const m = taskSchema.safeParse(value);
	if (!m.success) return null;
	return { conversationId, lane, key, at: m.data.createdAt, hasAttachment: false, subject: m.data.title, body: m.data.description, sender: '', recipients: '' };
}

const UPSERT = `INSERT INTO search_docs (conversation_id, lane, record_key, at, has_attachment, subject, body, sender, recipients)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (conversation_id, lane, record_key) DO UPDATE SET at = excluded.at, has_attachment = excluded.has_attachment,
subject = excluded.subject, body = excluded.body, sender = excluded.sender, recipients = excluded.recipients`;

export function upsertStatement(row: SearchRow): InStatement {
	return { sql: UPSERT, args: [row.conversationId, row.lane, row.key, row.at, row.hasAttachment ? 1 : 0, row.subject, row.body, row.sender, row.recipients] };
}

/** Chat rows carry the author's name, so "from:Alice" and a name in the box find her messages. */
export type NameLookup = (userId: string) => Promise<string>;
export type StateReader = (doc: string) => Promise<Uint8Array>;

/** The rows a lane's stored state should have, by record key. */
async function rowsOfLane(conversationId: string, lane: IndexedLane, state: Uint8Array, nameOf: NameLookup): Promise<Map<string, SearchRow>> {
	const doc = new Y.Doc();
	Y.applyUpdate(doc, state);
	const rows = new Map<string, SearchRow>();
	for (const [key, value] of doc.getMap(ROOT[lane]).entries()) {
		const author = lane === 'chat' ? chatMessageSchema.safeParse(value) : null;
		const row = searchRowOf(conversationId, lane, key, value, author?.success ? await nameOf(author.data.authorId) : undefined);
		if (row) rows.set(key, row);
	}
	doc.destroy();
	return rows;
}

const same = (a: SearchRow, b: Record<string, unknown>) =>
	a.at === Number(b.at) &&
	a.hasAttachment === Boolean(Number(b.has_attachment)) &&
	a.subject === b.subject &&
	a.body === b.body &&
	a.sender === b.sender &&
	a.recipients === b.recipients;

/** The statements that bring one lane's rows in line with its stored state: only what differs. */
export async function reconcileLane(client: Client, conversationId: string, lane: IndexedLane, readState: StateReader, nameOf: NameLookup): Promise<InStatement[]> {
	const wanted = await rowsOfLane(conversationId, lane, await readState(conversationDoc(conversationId, lane)), nameOf);
	const existing = await client.execute({
		sql: 'SELECT record_key, at, has_attachment, subject, body, sender, recipients FROM search_docs WHERE conversation_id = ? AND lane = ?',
		args: [conversationId, lane]
	});
	const statements: InStatement[] = [];
	const had = new Set<string>();
	for (const row of existing.rows) {
		const key = String(row.record_key);
		had.add(key);
		const want = wanted.get(key);
		if (!want) statements.push({ sql: 'DELETE FROM search_docs WHERE conversation_id = ? AND lane = ? AND record_key = ?', args: [conversationId, lane, key] });
		else if (!same(want, row)) statements.push(upsertStatement(want));
	}
	for (const [key, row] of wanted) if (!had.has(key)) statements.push(upsertStatement(row));
	return statements;
}

/** The statements for a conversation's members-only tags (`label` → label id, `assignee` → user id), from its internal lane. */
export async function reconcileTags(client: Client, conversationId: string, readState: StateReader): Promise<InStatement[]> {
	const doc = new Y.Doc();
	Y.applyUpdate(doc, await readState(conversationDoc(conversationId, 'internal')));
	const wanted = new Set<string>();
	for (const value of doc.getMap('labels').values()) {
		const parsed = appliedLabelSchema.safeParse(value);
		if (parsed.success) wanted.add(`label\u0000${parsed.data.labelId}`);
	}
	for (const value of doc.getMap('assignees').values()) {
		const parsed = assigneeSchema.safeParse(value);
		if (parsed.success) wanted.add(`assignee\u0000${parsed.data.userId}`);
	}
	doc.destroy();
	const existing = await client.execute({ sql: 'SELECT kind, value FROM search_tags WHERE conversation_id = ?', args: [conversationId] });
	const had = new Set(existing.rows.map((r) => `${r.kind}\u0000${r.value}`));
	const statements: InStatement[] = [];
	for (const tag of had) {
		if (wanted.has(tag)) continue;
		const [kind, value] = tag.split('\u0000');
		statements.push({ sql: 'DELETE FROM search_tags WHERE conversation_id = ? AND kind = ? AND value = ?', args: [conversationId, kind, value] });
	}
	for (const tag of wanted) {
		if (had.has(tag)) continue;
		const [kind, value] = tag.split('\u0000');
		statements.push({ sql: 'INSERT OR IGNORE INTO search_tags (conversation_id, kind, value) VALUES (?, ?, ?)', args: [conversationId, kind, value] });
	}
	return statements;
}

export type Target = { conversationId: string; lane: IndexedLane | 'internal' };
/** The conversation and lane of a document the index follows, or null for any other document. */
export function indexedTarget(doc: string): Target | null {
	const ref = parseDocName(doc);
	if (!ref || ref.scope !== 'conversation') return null;
	if (ref.lane !== 'thread' && ref.lane !== 'chat' && ref.lane !== 'tasks' && ref.lane !== 'internal') return null;
	return { conversationId: ref.id, lane: ref.lane };
}

/** The statements that bring the index in line with one document's state. */
export function reconcileStatements(client: Client, target: Target, readState: StateReader, nameOf: NameLookup): Promise<InStatement[]> {
	return target.lane === 'internal'
		? reconcileTags(client, target.conversationId, readState)
		: reconcileLane(client, target.conversationId, target.lane, readState, nameOf);
}
