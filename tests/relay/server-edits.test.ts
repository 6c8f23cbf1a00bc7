import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessageType, writeWrite, type Frame } from '../../src/lib/shared/protocol.ts';
import { OrgLane, orgDoc } from '../../src/lib/shared/doc-names.ts';
import { open, setUp, startRelay, type TestRelay } from './fixture.ts';
import { createWriter } from '../helpers/ydoc.ts';

// Documents the server edits first (seeded demo data, system events) must validate later client
// writes exactly like documents a client opened first.

let relay: TestRelay;
beforeAll(async () => {
	relay = await startRelay();
});
afterAll(() => relay.close());

describe('a room first loaded for a server edit', () => {
	it('still knows its organization: members can apply existing labels and assign members', async () => {
		const s = await setUp(relay, { members: ['Alice'] });
		const { org: orgId, docs: { internal } } = s;
		const alice = s.people.Alice;
		// the server writes first: label definitions and an applied label (as the demo seed does)
		await relay.endpoint.relay.serverEdit(orgDoc(orgId, OrgLane.Labels), (doc) => {
			doc.getMap('labels').set('urgent', { id: 'urgent', name: 'Urgent', color: '#d93025', createdBy: alice.id });
		});
		await relay.endpoint.relay.serverEdit(internal, (doc) => {
			doc.getMap('labels').set('urgent', { labelId: 'urgent', appliedBy: alice.id, appliedAt: 1 });
		});

		const client = await s.connect('Alice');
		await open(client, internal);
		const writer = createWriter(777);
		writer.doc.getMap('assignees').set(alice.id, { userId: alice.id, assignedBy: alice.id, assignedAt: 2 });
		client.send(writeWrite(internal, 1, writer.take()));
		const answer = (await client.waitFor((f) => (f.type === MessageType.Ack || f.type === MessageType.Nack) && f.writeId === 1)) as Frame;
		expect(answer.type).toBe(MessageType.Ack);
		writer.doc.getMap('labels').set('urgent', { labelId: 'urgent', appliedBy: alice.id, appliedAt: 3 });
		client.send(writeWrite(internal, 2, writer.take()));
		const second = (await client.waitFor((f) => (f.type === MessageType.Ack || f.type === MessageType.Nack) && f.writeId === 2)) as Frame;
		expect(second.type).toBe(MessageType.Ack);
	});
});
