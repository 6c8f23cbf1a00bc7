// History events over the real relay: a member's label and assignment changes carry an event in
// her own name, written in the same update; status changes get one from the server. All of it is
// in the members-only `internal` lane: no frame sent to a guest's socket holds any of it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { MessageType, writeWrite, type Frame } from '../../src/lib/shared/protocol.ts';
import { OrgLane, orgDoc } from '../../src/lib/shared/doc-names.ts';
import { setConversationStatus } from '../../src/lib/server/conversation-status.ts';
import { stopSnoozeWakeups } from '../../src/lib/server/conversation-status.ts';
import { open, setUp, startRelay, type TestRelay } from './fixture.ts';
import { createWriter } from '../helpers/ydoc.ts';

const CANARY = 'HISTCANARYq';
let relay: TestRelay;
beforeAll(async () => {
	relay = await startRelay();
});
afterAll(async () => {
	stopSnoozeWakeups(relay.database);
	await relay.close();
});

describe('history events', () => {
	it('are written in the actor’s own name, never deleted, and never reach a guest', async () => {
		const s = await setUp(relay, { members: ['Mia', 'Max'], guests: ['Gus'] });
		const [mia, max] = [s.people.Mia, s.people.Max];
		const labels = orgDoc(s.org, OrgLane.Labels);
		const miaClient = await s.connect('Mia');
		const maxClient = await s.connect('Max');
		const gusClient = await s.connect('Gus');
		for (const doc of [labels, s.docs.internal]) expect((await open(miaClient, doc)).role).toBe('member');
		expect((await open(maxClient, s.docs.internal)).role).toBe('member');
		for (const doc of [s.docs.thread, s.docs.chat, s.docs.tasks]) expect((await open(gusClient, doc)).role).toBe('guest');
		expect((await open(gusClient, s.docs.internal)).role).toBe('none');

		let writeId = 0;
		const send = async (doc: string, update: Uint8Array): Promise<Frame> => {
			const id = ++writeId;
			const from = miaClient.frames.length;
			miaClient.send(writeWrite(doc, id, update));
			return miaClient.waitFor((f) => (f.type === MessageType.Ack || f.type === MessageType.Nack) && f.doc === doc && f.writeId === id, 5000, from);
		};
		const defs = createWriter(7001);
		const labelId = `${CANARY}L`;
		defs.doc.getMap('labels').set(labelId, { id: labelId, name: `${CANARY} label`, color: '#aa3300', createdBy: mia.id });
		expect((await send(labels, defs.take())).type).toBe(MessageType.Ack);

		// the label and its event in one update, as the conversation page writes them
		const internal = createWriter(7002);
		const now = Date.now();
		internal.doc.transact(() => {
			internal.doc.getMap('labels').set(labelId, { labelId, appliedBy: mia.id, appliedAt: now });
			internal.doc.getMap('history').set(`${mia.id}:${CANARY}1`, { id: `${mia.id}:${CANARY}1`, type: 'label-added', actorId: mia.id, target: labelId, at: now });
			internal.doc.getMap('assignees').set(max.id, { userId: max.id, assignedBy: mia.id, assignedAt: now });
			internal.doc.getMap('history').set(`${mia.id}:${CANARY}2`, { id: `${mia.id}:${CANARY}2`, type: 'assigned', actorId: mia.id, target: max.id, at: now });
		});
		expect((await send(s.docs.internal, internal.take())).type).toBe(MessageType.Ack);

		// an event in someone else's name is refused, and so is deleting one
		const forged = createWriter(7003);
		forged.doc.getMap('history').set(`${max.id}:${CANARY}3`, { id: `${max.id}:${CANARY}3`, type: 'closed', actorId: max.id, at: now });
		expect((await send(s.docs.internal, forged.take())).type).toBe(MessageType.Nack);
		internal.doc.getMap('history').delete(`${mia.id}:${CANARY}1`);
		expect((await send(s.docs.internal, internal.take())).type).toBe(MessageType.Nack);

		// status changes: the server writes the event, with who made it
		expect((await setConversationStatus(relay.database, { conversationId: s.conversation, actorId: mia.id, status: 'closed' })).ok).toBe(true);
		expect((await setConversationStatus(relay.database, { conversationId: s.conversation, actorId: max.id, status: 'snoozed', snoozeUntil: now + 3_600_000 })).ok).toBe(true);
		const stored = new Y.Doc();
		Y.applyUpdate(stored, await relay.database.relay.readState(s.docs.internal));
		const events = [...stored.getMap<{ type: string; actorId: string; until?: number }>('history').values()].sort((a, b) => a.type.localeCompare(b.type));
		expect(events.map((e) => [e.type, e.actorId])).toEqual([
			['assigned', mia.id],
			['closed', mia.id],
			['label-added', mia.id],
			['snoozed', max.id]
		]);
		expect(events.find((e) => e.type === 'snoozed')?.until).toBe(now + 3_600_000);
		// the thread, which the guest reads, got none of it
		const thread = new Y.Doc();
		Y.applyUpdate(thread, await relay.database.relay.readState(s.docs.thread));
		expect(JSON.stringify(thread.toJSON())).not.toMatch(/closed|snoozed|label-added|assigned/);

		await relay.endpoint.relay.drain();
		await new Promise((resolve) => setTimeout(resolve, 30));
		const decoder = new TextDecoder();
		const seen = gusClient.raw.map((b) => decoder.decode(b)).join('\n');
		for (const word of [CANARY, 'history', 'label-added', 'assigned', 'snoozed', '"closed"']) expect(seen).not.toContain(word);
		for (const frame of gusClient.frames) {
			if (frame.type === MessageType.Access && frame.role === 'none') continue;
			expect(frame.doc).not.toContain('/internal');
		}
		// and a fellow member's socket did carry the events (the canary is real)
		const maxSeen = maxClient.raw.map((b) => decoder.decode(b)).join('');
		for (const word of [`${CANARY}1`, 'label-added', 'snoozed', 'closed']) expect(maxSeen).toContain(word);
	});
});
