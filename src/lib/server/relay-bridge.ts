// SvelteKit code (actions, endpoints) and the relay run in one process but in two module graphs
// (the Vite bundle and server/ under tsx). The relay registers itself here, on globalThis, so
// actions can tell it about access changes and server-written document edits.
import type * as Y from 'yjs';

/** What app code may ask of the relay. */
export interface RelayBridge {
	/** Re-decides access for open subscriptions now (role change, guest revoked, guests off). */
	refreshAccess(filter: { userId?: string; conversationId?: string; orgId?: string }): Promise<void>;
	/** Closes the sockets of ended sessions. */
	endSessions(filter: { sessionId?: string; userId?: string }): void;
	/** Applies a server-made change to a document and resolves once it is stored. */
	serverEdit(doc: string, edit: (ydoc: Y.Doc) => void): Promise<void>;
	/** The stored state of a document, as one update. */
	readState(doc: string): Promise<Uint8Array>;
}

const key = '__parleyRelay';

/** Registers the process's relay. */
export function setRelay(relay: RelayBridge | null): void {
	(globalThis as Record<string, unknown>)[key] = relay;
}

/** The process's relay, or null when none runs (e.g. a script). */
export function getRelay(): RelayBridge | null {
	return ((globalThis as Record<string, unknown>)[key] as RelayBridge | undefined) ?? null;
}
