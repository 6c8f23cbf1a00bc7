// Small protocol steps over RawClient, shared by the relay integration tests.
import * as Y from 'yjs';
import { MessageType, SyncType, writeSyncStep1, writeWrite, type Frame } from '../../src/lib/shared/protocol.ts';
import type { RawClient, TestRelay } from './relay.ts';

export type AccessFrame = Extract<Frame, { type: typeof MessageType.Access }>;
export type AckFrame = Extract<Frame, { type: typeof MessageType.Ack }>;
export type NackFrame = Extract<Frame, { type: typeof MessageType.Nack }>;
export type ErrorFrame = Extract<Frame, { type: typeof MessageType.Error }>;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Opens a document (sync step 1 with an empty state vector); resolves with the role and the state received. */
export async function open(client: RawClient, doc: string): Promise<{ role: string; state: Uint8Array | null }> {
	const from = client.frames.length;
	client.send(writeSyncStep1(doc, new Uint8Array([0])));
	const access = (await client.waitFor((f) => f.type === MessageType.Access && f.doc === doc, 5000, from)) as AccessFrame;
	if (access.role === 'none') return { role: 'none', state: null };
	const step2 = (await client.waitFor((f) => f.type === MessageType.Sync && f.doc === doc && f.syncType === SyncType.Step2, 5000, from)) as Extract<
		Frame,
		{ type: 0 }
	>;
	return { role: access.role, state: step2.data };
}

let nextWriteId = 1;

/** Sends a write and resolves with its answer (Ack or Nack). */
export async function write(client: RawClient, doc: string, update: Uint8Array): Promise<AckFrame | NackFrame> {
	const id = nextWriteId++;
	const from = client.frames.length;
	client.send(writeWrite(doc, id, update));
	return (await client.waitFor(
		(f) => (f.type === MessageType.Ack || f.type === MessageType.Nack) && f.doc === doc && f.writeId === id,
		5000,
		from
	)) as AckFrame | NackFrame;
}

/** Sync frames about `doc` that a client received from frame index `from` on. */
export function syncFramesFor(client: RawClient, doc: string, from = 0): Frame[] {
	return client.frames.slice(from).filter((f) => f.type === MessageType.Sync && f.doc === doc);
}

/** Every root of a record document as plain JSON (roots are Y.Maps; an untyped root reads as one). */
export function docJson(ydoc: Y.Doc): Record<string, Record<string, unknown>> {
	const json: Record<string, Record<string, unknown>> = {};
	for (const root of [...ydoc.share.keys()].sort()) json[root] = ydoc.getMap(root).toJSON();
	return json;
}

/** What the server holds for a document, as seen by a fresh connection of `cookie`. */
export async function serverView(relay: TestRelay, cookie: string, doc: string): Promise<{ json: Record<string, Record<string, unknown>>; sv: number[]; ydoc: Y.Doc }> {
	const client = await relay.connect(cookie);
	try {
		const { role, state } = await open(client, doc);
		if (role === 'none' || !state) throw new Error(`${doc} could not be opened`);
		const ydoc = new Y.Doc();
		Y.applyUpdate(ydoc, state);
		return { json: docJson(ydoc), sv: [...Y.encodeStateVector(ydoc)], ydoc };
	} finally {
		client.close();
	}
}

/** Polls until `check` holds. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
	const end = Date.now() + timeoutMs;
	while (!(await check())) {
		if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
		await sleep(10);
	}
}
