// Who may open a label's view, over a real database and relay: a member of the label's
// organization; a guest of one of its conversations, a member of another organization and an
// unknown id all get the same "no such label".
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startRelay, type TestRelay } from './helpers/relay.ts';
import { readLabelView } from '../src/lib/server/label-view.ts';

let relay: TestRelay;
afterEach(async () => {
	await relay.close();
	vi.restoreAllMocks();
});
beforeEach(async () => {
	vi.spyOn(console, 'log').mockImplementation(() => {});
	relay = await startRelay();
});

describe('label views', () => {
	it('open for members of the label’s organization only', async () => {
		const acme = await relay.addOrg('Acme');
		const studio = await relay.addOrg('Studio');
		const alice = (await relay.addUser('Alice')).id;
		const nora = (await relay.addUser('Nora')).id;
		await relay.addMember(acme, alice, 'member');
		await relay.addMember(studio, nora, 'owner');
		const shared = await relay.addConversation(acme, { subject: 'Shared' });
		await relay.addGuest(shared, nora);
		await relay.database.relay.serverEdit(`o/${acme}/labels`, (doc) => doc.getMap('labels').set('urgent', { id: 'urgent', name: 'Urgent', color: '#d93025', createdBy: alice }));
		await relay.database.relay.serverEdit(`c/${shared}/internal`, (doc) => doc.getMap('labels').set('urgent', { labelId: 'urgent', appliedBy: alice, appliedAt: 1 }));

		expect(await readLabelView(relay.database, alice, acme, 'urgent')).toMatchObject({ id: 'urgent', name: 'Urgent' });
		expect(await readLabelView(relay.database, alice, acme, 'nosuch')).toBeNull();
		// Nora is a guest of an Acme conversation carrying the label, and owns another organization
		expect(await readLabelView(relay.database, nora, acme, 'urgent')).toBeNull();
		expect(await readLabelView(relay.database, nora, studio, 'urgent')).toBeNull();
		expect(await readLabelView(relay.database, nora, null, 'urgent')).toBeNull();
	});
});
