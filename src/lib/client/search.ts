// Asks the server's full-text search (GET /search). Offline, the caller searches the documents
// this device holds instead (offline-search.ts).
import type { SearchHit } from '../shared/search-query.ts';
export type { SearchHit } from '../shared/search-query.ts';

/** `offline`: answered from what this device holds (offline-search.ts), not by the server. */
export type SearchAnswer = { ok: true; hits: SearchHit[]; offline?: boolean } | { ok: false; message: string } | { ok: false; offline: true };

export async function fetchSearch(query: string, signal: AbortSignal): Promise<SearchAnswer> {
	let res: Response;
	try {
		res = await fetch(`/search?q=${encodeURIComponent(query)}`, { headers: { accept: 'application/json' }, signal });
	} catch (error) {
		if (signal.aborted) throw error;
		return { ok: false, offline: true };
	}
	const data = (await res.json().catch(() => ({}))) as { hits?: SearchHit[]; message?: string };
	if (res.ok && data.hits) return { ok: true, hits: data.hits };
	return { ok: false, message: data.message ?? `Search failed (${res.status}).` };
}
