// SvelteKit code (actions, endpoints) and the relay run in one process but in two module graphs
// (the Vite bundle and server/ under tsx). The relay registers itself here, on globalThis and by
// database URL, so actions can tell it about access changes and server-written document edits.
import type * as Y from 'yjs';
import { readConfig } from './config.ts';

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
	/** Whether any connection has the document open now. */
	hasSubscribers(doc: string): boolean;
}

function registry(): Map<string, RelayBridge> {
	const g = globalThis as Record<string, unknown>;
	return (g.__parleyRelays ??= new Map()) as Map<string, RelayBridge>;
}

/** Registers the relay serving the database at `databaseUrl`. */
export function setRelay(databaseUrl: string, relay: RelayBridge | null): void {
	if (relay) registry().set(databaseUrl, relay);
	else registry().delete(databaseUrl);
}

/** The relay serving a database (the configured one by default), or null when none runs. */
export function getRelay(databaseUrl: string = readConfig().databaseUrl): RelayBridge | null {
	return registry().get(databaseUrl) ?? null;
}

/**
 * The relay for a database, starting one if none runs in this process yet (`vite dev`, where
 * server/index.ts does not run, and scripts). Documents are only ever written through a relay, so
 * its in-memory state and the stored state cannot drift apart.
 */
export async function requireRelay(databaseUrl: string = readConfig().databaseUrl): Promise<RelayBridge> {
	const running = getRelay(databaseUrl);
	if (running) return running;
	const { getSyncEndpoint } = await import('../../../server/sync-endpoint.ts');
	return (await getSyncEndpoint(databaseUrl)).relay;
}
