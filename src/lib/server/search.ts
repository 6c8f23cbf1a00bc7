// Search for one person: parse the query, match the full-text index, keep only what her grants
// (computeAccess, through readConversationGrantsForUser) let her read, lane by lane. Labels,
// assignees and triage status are members-only facts, decided by policy.ts: the filters are for
// members of some organization (canUseMembersOnlySearchFilters; anyone else is told so), label
// names are looked up only in organizations whose labels she reads (computeOrgDocAccess), and a
// conversation matches on them only where her grant allows it (canMatchMembersOnlyFacts) — so a
// guest who owns an organization filters its conversations, never one she is a guest of.
// Cost: one FTS5 query ranks the matches (bm25) inside her scope; snippets are made afterwards for
// the few hits only, since SQLite computes every selected column before it sorts.
import * as Y from 'yjs';
import type { InArgs, InValue } from '@libsql/client';
import type { App } from './app-types.ts';
import { readConversationGrantsForUser } from './access-facts.ts';
import { canMatchMembersOnlyFacts, canUseMembersOnlySearchFilters, computeOrgDocAccess, type OrgRole } from '../shared/policy.ts';
import { isEmptyQuery, parseSearchQuery, toFtsMatch, type SearchHit, type SearchQuery } from '../shared/search-query.ts';
export type { SearchHit } from '../shared/search-query.ts';
import { getRecords } from '../shared/records.ts';
import { orgDoc } from '../shared/doc-names.ts';
export { MARK_END, MARK_START } from '../shared/search-query.ts';


export type SearchResult = { ok: true; hits: SearchHit[] } | { ok: false; message: string };

export const SearchMessages = {
	membersOnly: 'Filters by label, assignee or status are only for members of the organization.',
	noLabel: (name: string) => `There is no label “${name}”.`,
	noMember: (who: string) => `Nobody in your organization is “${who}”.`
};

const CANDIDATES = 400;
const MAX_HITS = 50;

/** The MATCH expression: free terms over every column, from:/to: over sender/recipients. */
function matchOf(query: SearchQuery): string | null {
	const parts: string[] = [];
	const text = toFtsMatch(query.terms);
	if (text) parts.push(`{subject body sender recipients} : (${text})`);
	for (const from of query.from) {
		const p = toFtsMatch([from]);
		if (p) parts.push(`sender : (${p})`);
	}
	for (const to of query.to) {
		const p = toFtsMatch([to]);
		if (p) parts.push(`recipients : (${p})`);
	}
	return parts.length ? parts.join(' AND ') : null;
}

const marks = (values: unknown[]) => values.map(() => '?').join(',');

/** Label names → the ids of labels of that name in her organizations; a name with none is an error. */
async function labelIds(app: App, orgIds: string[], names: string[]): Promise<string[][] | string> {
	const byName = new Map<string, string[]>();
	for (const orgId of orgIds) {
		const doc = new Y.Doc();
		Y.applyUpdate(doc, await app.relay.readState(orgDoc(orgId, 'labels')));
		for (const label of getRecords(doc, 'labels', 'labels').values()) {
			const key = label.name.toLowerCase();
			byName.set(key, [...(byName.get(key) ?? []), label.id]);
		}
		doc.destroy();
	}
	const out: string[][] = [];
	for (const name of names) {
		const ids = byName.get(name.toLowerCase());
		if (!ids) return SearchMessages.noLabel(name);
		out.push(ids);
	}
	return out;
}

/** assignee: values → member user ids ('me', a member's name or address); one nobody is is an error. */
async function assigneeIds(app: App, userId: string, orgIds: string[], values: string[]): Promise<string[][] | string> {
	const out: string[][] = [];
	for (const who of values) {
		if (who === 'me') {
			out.push([userId]);
			continue;
		}
		const people = await app.client.execute({
			sql: `SELECT DISTINCT u.id FROM users u JOIN memberships m ON m.user_id = u.id
			      WHERE m.org_id IN (${marks(orgIds)}) AND (lower(u.name) = lower(?) OR lower(u.email) = lower(?))`,
			args: [...orgIds, who, who]
		});
		if (people.rows.length === 0) return SearchMessages.noMember(who);
		out.push(people.rows.map((p) => String(p.id)));
	}
	return out;
}

type Candidate = { conversation_id: string; lane: string; at: number; id: number };

export async function search(app: App, userId: string, input: string): Promise<SearchResult> {
	const parsed = parseSearchQuery(input);
	if (!parsed.ok) return parsed;
	const query = parsed.query;
	if (isEmptyQuery(query)) return { ok: true, hits: [] };
	const membersOnly = query.labels.length > 0 || query.assignees.length > 0 || query.status !== null;
	const roles = new Map(
		(await app.client.execute({ sql: 'SELECT org_id, role FROM memberships WHERE user_id = ?', args: [userId] })).rows.map((r) => [String(r.org_id), r.role as OrgRole])
	);
	if (membersOnly && !canUseMembersOnlySearchFilters([...roles.values()])) return { ok: false, message: SearchMessages.membersOnly };
	const orgIds = [...roles.keys()];
	const labelOrgs = orgIds.filter((id) => computeOrgDocAccess(roles.get(id) ?? null, 'labels').read);
	const match = matchOf(query);
	// terms with no letter or digit ("--"): nothing can match them
	if (!match && (query.from.length || query.to.length || query.terms.length)) return { ok: true, hits: [] };

	// a cheap pre-filter to conversations she might open (her organizations' and those she takes
	// part in); her grants decide below
	const where = [
		`d.conversation_id IN (SELECT id FROM conversations WHERE org_id IN (SELECT org_id FROM memberships WHERE user_id = ?)
		 UNION SELECT conversation_id FROM conversation_participants WHERE user_id = ?)`
	];
	const args: InValue[] = [userId, userId];
	if (query.hasAttachment) where.push('d.has_attachment = 1');
	if (query.status) {
		where.push(`d.conversation_id IN (SELECT id FROM conversations WHERE status = ? AND org_id IN (${marks(orgIds)}))`);
		args.push(query.status, ...orgIds);
	}
	const tagFilters: Array<['label' | 'assignee', string[][] | string]> = [];
	if (query.labels.length) tagFilters.push(['label', await labelIds(app, labelOrgs, query.labels)]);
	if (query.assignees.length) tagFilters.push(['assignee', await assigneeIds(app, userId, orgIds, query.assignees)]);
	for (const [kind, sets] of tagFilters) {
		if (typeof sets === 'string') return { ok: false, message: sets };
		for (const ids of sets) {
			where.push(`d.conversation_id IN (SELECT conversation_id FROM search_tags WHERE kind = ? AND value IN (${marks(ids)}))`);
			args.push(kind, ...ids);
		}
	}
	const candidates = (
		await app.client.execute(
			match
				? {
						sql: `SELECT d.conversation_id, d.lane, d.at, d.id FROM search_fts f JOIN search_docs d ON d.id = f.rowid
						      WHERE search_fts MATCH ? AND ${where.join(' AND ')}
						      ORDER BY bm25(search_fts, 4.0, 1.0, 3.0, 2.0) LIMIT ${CANDIDATES}`,
						args: [match, ...args]
					}
				: { sql: `SELECT d.conversation_id, d.lane, d.at, d.id FROM search_docs d WHERE ${where.join(' AND ')} ORDER BY d.at DESC LIMIT ${CANDIDATES}`, args }
		)
	).rows as unknown as Candidate[];

	// one hit per conversation: its best-ranked record in a lane her grant reads
	const grants = await readConversationGrantsForUser(app.client, userId, [...new Set(candidates.map((c) => c.conversation_id))]);
	const chosen: Candidate[] = [];
	const seen = new Set<string>();
	for (const c of candidates) {
		if (chosen.length >= MAX_HITS) break;
		if (seen.has(c.conversation_id)) continue;
		const grant = grants.get(c.conversation_id);
		if (!grant?.lanes[c.lane as SearchHit['lane']]?.read) continue;
		if (membersOnly && !canMatchMembersOnlyFacts(grant)) continue;
		seen.add(c.conversation_id);
		chosen.push(c);
	}
	if (chosen.length === 0) return { ok: true, hits: [] };
	const [snippets, subjects] = await app.client.batch(
		[
			match
				? {
						sql: `SELECT rowid AS id, snippet(search_fts, -1, char(2), char(3), '…', 16) AS snip FROM search_fts
						      WHERE search_fts MATCH ? AND rowid IN (${marks(chosen)})`,
						args: [match, ...chosen.map((c) => c.id)] as InArgs
					}
				: { sql: `SELECT id, substr(body, 1, 160) AS snip FROM search_docs WHERE id IN (${marks(chosen)})`, args: chosen.map((c) => c.id) },
			{ sql: `SELECT id, subject, kind FROM conversations WHERE id IN (${marks(chosen)})`, args: chosen.map((c) => c.conversation_id) }
		],
		'read'
	);
	const snippetOf = new Map(snippets.rows.map((r) => [Number(r.id), String(r.snip ?? '')]));
	const conversationOf = new Map(subjects.rows.map((r) => [String(r.id), { subject: String(r.subject), kind: r.kind === 'channel' ? 'channel' : 'email' } as const]));
	return {
		ok: true,
		hits: chosen.map((c) => ({
			conversationId: c.conversation_id,
			subject: conversationOf.get(c.conversation_id)?.subject ?? '',
			kind: conversationOf.get(c.conversation_id)?.kind ?? 'email',
			lane: c.lane as SearchHit['lane'],
			snippet: snippetOf.get(Number(c.id)) ?? '',
			at: Number(c.at)
		}))
	};
}
