// Search for one person: parse the query, match the full-text index, keep only what her grant
// (computeAccess, through readConversationGrant) lets her read, lane by lane. Labels, assignees and
// triage status are members-only facts, so those filters only ever match conversations where she
// is a member, and a person who is a member of no organization is told they are not for her.
import * as Y from 'yjs';
import type { App } from './app-types.ts';
import { readConversationGrant } from './access-facts.ts';
import { isEmptyQuery, parseSearchQuery, toFtsMatch, type SearchQuery } from '../shared/search-query.ts';
export { MARK_END, MARK_START } from '../shared/search-query.ts';
import { getRecords } from '../shared/records.ts';
import { conversationDoc, orgDoc } from '../shared/doc-names.ts';

export type SearchHit = {
	conversationId: string;
	subject: string;
	kind: 'email' | 'channel';
	lane: 'thread' | 'chat' | 'tasks';
	/** Plain text with matches between MARK_START and MARK_END; render as text pieces, never as HTML. */
	snippet: string;
	at: number;
};

export type SearchResult = { ok: true; hits: SearchHit[] } | { ok: false; message: string };

const CANDIDATES = 400;
const MAX_HITS = 50;

const phrase = (value: string): string | null => toFtsMatch([value]);

/** The MATCH expression: free terms over every column, from:/to: over sender/recipients. */
function matchOf(query: SearchQuery): string | null {
	const parts: string[] = [];
	const text = toFtsMatch(query.terms);
	if (text) parts.push(`{subject body sender recipients} : (${text})`);
	for (const from of query.from) {
		const p = phrase(from);
		if (p) parts.push(`sender : (${p})`);
	}
	for (const to of query.to) {
		const p = phrase(to);
		if (p) parts.push(`recipients : (${p})`);
	}
	return parts.length ? parts.join(' AND ') : null;
}

type Row = { conversation_id: string; lane: string; snip: string; at: number; subject: string; kind: string; status: string; org_id: string };

export async function search(app: App, userId: string, input: string): Promise<SearchResult> {
	const parsed = parseSearchQuery(input);
	if (!parsed.ok) return parsed;
	const query = parsed.query;
	if (isEmptyQuery(query)) return { ok: true, hits: [] };
	const membersOnly = query.labels.length > 0 || query.assignees.length > 0 || query.status !== null;
	const orgs = await app.client.execute({ sql: 'SELECT org_id FROM memberships WHERE user_id = ?', args: [userId] });
	if (membersOnly && orgs.rows.length === 0) {
		return { ok: false, message: 'Filters by label, assignee or status are only for members of the organization.' };
	}
	const match = matchOf(query);
	if (!match && (query.from.length || query.to.length || query.terms.length)) return { ok: true, hits: [] };
	// a cheap pre-filter to conversations she might open (her organizations' and those she takes part in);
	// computeAccess below decides
	const scope = `d.conversation_id IN (SELECT id FROM conversations WHERE org_id IN (SELECT org_id FROM memberships WHERE user_id = :user)
		UNION SELECT conversation_id FROM conversation_participants WHERE user_id = :user)`;
	const where = [scope];
	if (query.hasAttachment) where.push('d.has_attachment = 1');
	if (query.status) where.push('c.status = :status');
	const sql = match
		? `SELECT d.conversation_id, d.lane, d.at, c.subject, c.kind, c.status, c.org_id,
			snippet(search_fts, -1, char(2), char(3), '…', 16) AS snip
			FROM search_fts JOIN search_docs d ON d.id = search_fts.rowid JOIN conversations c ON c.id = d.conversation_id
			WHERE search_fts MATCH :match AND ${where.join(' AND ')}
			ORDER BY bm25(search_fts, 4.0, 1.0, 3.0, 2.0) LIMIT ${CANDIDATES}`
		: `SELECT d.conversation_id, d.lane, d.at, c.subject, c.kind, c.status, c.org_id, substr(d.body, 1, 120) AS snip
			FROM search_docs d JOIN conversations c ON c.id = d.conversation_id
			WHERE ${where.join(' AND ')} ORDER BY d.at DESC LIMIT ${CANDIDATES}`;
	const args: Record<string, string> = { user: userId };
	if (match) args.match = match;
	if (query.status) args.status = query.status;
	const rows = (await app.client.execute({ sql, args })).rows as unknown as Row[];

	const hits: SearchHit[] = [];
	const seen = new Set<string>();
	const grants = new Map<string, Awaited<ReturnType<typeof readConversationGrant>>>();
	for (const row of rows) {
		if (hits.length >= MAX_HITS) break;
		if (seen.has(row.conversation_id)) continue; // one hit per conversation: its best-ranked record
		let grant = grants.get(row.conversation_id);
		if (!grant) {
			grant = await readConversationGrant(app.client, userId, row.conversation_id);
			grants.set(row.conversation_id, grant);
		}
		const lane = row.lane as SearchHit['lane'];
		if (!grant.lanes[lane]?.read) continue;
		if (membersOnly && !grant.lanes.internal.read) continue;
		if (membersOnly && !(await matchesInternal(app, userId, row, query))) continue;
		seen.add(row.conversation_id);
		hits.push({ conversationId: row.conversation_id, subject: row.subject, kind: row.kind === 'channel' ? 'channel' : 'email', lane, snippet: String(row.snip ?? ''), at: Number(row.at) });
	}
	return { ok: true, hits };
}

/** label:/assignee: against the conversation's internal lane (read only after her grant allowed it). */
async function matchesInternal(app: App, userId: string, row: Row, query: SearchQuery): Promise<boolean> {
	if (query.labels.length === 0 && query.assignees.length === 0) return true;
	const internal = new Y.Doc();
	Y.applyUpdate(internal, await app.relay.readState(conversationDoc(row.conversation_id, 'internal')));
	if (query.labels.length) {
		const defs = new Y.Doc();
		Y.applyUpdate(defs, await app.relay.readState(orgDoc(row.org_id, 'labels')));
		const byName = new Map([...getRecords(defs, 'labels', 'labels').values()].map((l) => [l.name.toLowerCase(), l.id]));
		const applied = new Set([...getRecords(internal, 'internal', 'labels').values()].map((l) => l.labelId));
		for (const name of query.labels) {
			const id = byName.get(name.toLowerCase());
			if (!id || !applied.has(id)) return false;
		}
	}
	if (query.assignees.length) {
		const assigned = [...getRecords(internal, 'internal', 'assignees').values()].map((a) => a.userId);
		for (const who of query.assignees) {
			if (who === 'me') {
				if (!assigned.includes(userId)) return false;
				continue;
			}
			const people = await app.client.execute({
				sql: `SELECT id FROM users WHERE lower(name) = lower(?) OR lower(email) = lower(?)`,
				args: [who, who]
			});
			if (!people.rows.some((p) => assigned.includes(String(p.id)))) return false;
		}
	}
	return true;
}
