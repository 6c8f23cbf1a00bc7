// Reactive sync status for the UI (DESIGN.md §6: always show online/offline, waiting changes and
// refused changes). Thin: the provider decides everything, this only mirrors its 'status' events.
import type { RefusedChange, SyncProvider } from './provider.ts';

/** The provider's status as `$state`: online, pending writes, refused changes, signed out. */
export class SyncStatus {
	#online = $state(false);
	#pending = $state(0);
	#refused = $state.raw<RefusedChange[]>([]);
	#signedOut = $state(false);
	#versionMismatch = $state(false);
	#provider: SyncProvider;
	#off: () => void;

	constructor(provider: SyncProvider) {
		this.#provider = provider;
		this.#apply(provider.status);
		this.#off = provider.on('status', (s) => this.#apply(s));
	}

	#apply(s: SyncProvider['status']): void {
		this.#online = s.online;
		this.#pending = s.pending;
		this.#refused = s.refused;
		this.#signedOut = s.signedOut;
		this.#versionMismatch = s.versionMismatch;
	}

	get online(): boolean {
		return this.#online;
	}

	/** Local changes the server has not acknowledged yet. */
	get pending(): number {
		return this.#pending;
	}

	/** Changes the server refused, until dismissed. */
	get refused(): RefusedChange[] {
		return this.#refused;
	}

	get signedOut(): boolean {
		return this.#signedOut;
	}

	get versionMismatch(): boolean {
		return this.#versionMismatch;
	}

	dismiss(change?: RefusedChange): void {
		this.#provider.dismissRefused(change);
	}

	destroy(): void {
		this.#off();
	}
}
