// A tiny typed event emitter: the provider's only way to talk to wrappers and the UI.

/** Calls listeners registered per event name; `on` returns the function that removes the listener. */
export class Emitter<Events extends Record<string, unknown>> {
	#listeners = new Map<keyof Events, Set<(payload: never) => void>>();

	on<K extends keyof Events>(name: K, fn: (payload: Events[K]) => void): () => void {
		let set = this.#listeners.get(name);
		if (!set) this.#listeners.set(name, (set = new Set()));
		set.add(fn as (payload: never) => void);
		return () => this.off(name, fn);
	}

	off<K extends keyof Events>(name: K, fn: (payload: Events[K]) => void): void {
		this.#listeners.get(name)?.delete(fn as (payload: never) => void);
	}

	protected emit<K extends keyof Events>(name: K, payload: Events[K]): void {
		for (const fn of [...(this.#listeners.get(name) ?? [])]) {
			try {
				(fn as (payload: Events[K]) => void)(payload);
			} catch (err) {
				// one broken listener must not stop sync
				console.error(`[sync] listener for ${String(name)} threw`, err);
			}
		}
	}
}
