// A member's email signatures, one per organization, in their `private` document: replicated, so
// they are there offline, on every device of theirs, and nobody else's replica ever holds them.
import { userDoc } from '$lib/shared/doc-names.ts';
import { validateRecord, type Signature } from '$lib/shared/records.ts';
import type { SyncProvider } from '$lib/sync/provider.ts';
import { RecordMap } from '$lib/sync/records.svelte.ts';

export class Signatures {
	readonly #map: RecordMap<Signature>;

	constructor(provider: SyncProvider, userId: string) {
		this.#map = new RecordMap(provider, userDoc(userId, 'private'), 'signatures', 'orgId');
	}

	/** The signature for an organization ('' when none). */
	of(orgId: string): string {
		return this.#map.get(orgId)?.text ?? '';
	}

	/** Saves (or with blank text, removes) the signature; the message to show when it is not acceptable. */
	save(orgId: string, text: string): string | null {
		if (!text.trim()) {
			this.#map.delete(orgId);
			return null;
		}
		const record: Signature = { orgId, text: text.trim(), updatedAt: Date.now() };
		if (!validateRecord('private', 'signatures', orgId, record).ok) return 'A signature can be at most 2,000 characters.';
		this.#map.set(orgId, record);
		return null;
	}

	destroy(): void {
		this.#map.destroy();
	}
}
