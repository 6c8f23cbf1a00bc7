// Real Y.Docs that produce the updates a client would send.
import * as Y from 'yjs';

/** A Y.Doc with a chosen client id that records the updates it makes. */
export function createWriter(clientId: number): { doc: Y.Doc; take(): Uint8Array } {
	const doc = new Y.Doc({ gc: false });
	doc.clientID = clientId;
	const updates: Uint8Array[] = [];
	doc.on('update', (update: Uint8Array, origin: unknown) => {
		if (origin !== 'remote') updates.push(update);
	});
	return {
		doc,
		take() {
			const merged = updates.length === 1 ? updates[0] : Y.mergeUpdates(updates);
			updates.length = 0;
			return merged;
		}
	};
}

/** Applies bytes received from the server without recording them as local changes. */
export function applyRemote(doc: Y.Doc, update: Uint8Array): void {
	Y.applyUpdate(doc, update, 'remote');
}

/** A chat message record as the client writes it. */
export function chatMessage(authorId: string, id: string, text: string) {
	return { id: `${authorId}:${id}`, authorId, text, mentions: [] as string[], createdAt: Date.now() };
}
