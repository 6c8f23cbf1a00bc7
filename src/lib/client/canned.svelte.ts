// Canned responses as the reply composer and the management page see them: the organization's
// (`o/<org>/canned`, members only by the grant) and the member's own (`private`), one sorted list.
// Both are replicated documents, so they are there offline and edits by teammates arrive live.
import { getContext, setContext } from 'svelte';
import { orgDoc, userDoc } from '$lib/shared/doc-names.ts';
import { createId, validateRecord, type CannedResponse } from '$lib/shared/records.ts';
import type { SyncProvider } from '$lib/sync/provider.ts';
import { RecordMap } from '$lib/sync/records.svelte.ts';

export type CannedScope = 'team' | 'mine';
export interface CannedEntry extends CannedResponse {
	scope: CannedScope;
}

export class CannedResponses {
	readonly team: RecordMap<CannedResponse>;
	readonly mine: RecordMap<CannedResponse>;
	readonly #userId: string;

	constructor(provider: SyncProvider, orgId: string, userId: string) {
		this.#userId = userId;
		this.team = new RecordMap(provider, orgDoc(orgId, 'canned'), 'responses', 'name');
		this.mine = new RecordMap(provider, userDoc(userId, 'private'), 'canned', 'name');
	}

	/** Every response, the team's first, each group by name. */
	get all(): CannedEntry[] {
		const byName = (a: CannedResponse, b: CannedResponse) => a.name.localeCompare(b.name);
		return [
			...this.team.all.toSorted(byName).map((r) => ({ ...r, scope: 'team' as const })),
			...this.mine.all.toSorted(byName).map((r) => ({ ...r, scope: 'mine' as const }))
		];
	}

	/**
	 * Saves a new response (no `id`) or changes one, in the scope given; moving a response between
	 * the team and oneself deletes it from the other. Returns the message to show when the fields
	 * are not acceptable (nothing is written then).
	 */
	save(fields: { id?: string; name: string; text: string; scope: CannedScope; from?: CannedScope }): string | null {
		const existing = fields.id ? (fields.from === 'team' ? this.team : this.mine).get(fields.id) : undefined;
		const record: CannedResponse = {
			id: fields.id ?? createId(),
			name: fields.name.trim(),
			text: fields.text,
			createdBy: existing?.createdBy ?? this.#userId,
			updatedAt: Date.now()
		};
		if (!record.name) return 'Give the response a name.';
		if (!record.text.trim()) return 'Write the text of the response.';
		const [lane, root] = fields.scope === 'team' ? (['canned', 'responses'] as const) : (['private', 'canned'] as const);
		const verdict = validateRecord(lane, root, record.id, record);
		if (!verdict.ok) return record.name.length > 80 ? 'The name can be at most 80 characters.' : 'The text is too long (at most 10,000 characters).';
		(fields.scope === 'team' ? this.team : this.mine).set(record.id, record);
		if (fields.id && fields.from && fields.from !== fields.scope) (fields.from === 'team' ? this.team : this.mine).delete(fields.id);
		return null;
	}

	remove(entry: Pick<CannedEntry, 'id' | 'scope'>): void {
		(entry.scope === 'team' ? this.team : this.mine).delete(entry.id);
	}

	destroy(): void {
		this.team.destroy();
		this.mine.destroy();
	}
}

/** What a reply composer needs to insert a response: the list and the names its variables use. */
export interface CannedSource {
	responses: CannedResponses | null;
	orgId: string;
	orgName: string;
	me: { name: string };
	/** The member's signature for this organization ('' when none), started below a new reply. */
	signature: string;
}

const KEY = Symbol('canned');

/** Set by the conversation page for its reply composers (members only: guests cannot reply). */
export function setCannedSource(source: () => CannedSource | null): void {
	setContext(KEY, source);
}

/** The composer's getter: call it inside a `$derived` so a new conversation's list is picked up. */
export function getCannedSource(): () => CannedSource | null {
	const source = getContext<(() => CannedSource | null) | undefined>(KEY);
	return () => source?.() ?? null;
}
