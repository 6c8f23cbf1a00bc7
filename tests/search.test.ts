// Search over a real database and relay: inbound mail, chat and tasks are indexed as they are
// committed, results follow computeAccess (a guest finds only what she can read), and the
// members-only filters are refused for a guest.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startRelay, type TestRelay } from './helpers/relay.ts';
import { receiveMail } from '../src/lib/server/mail/inbound.ts';
import { search, MARK_END, MARK_START } from '../src/lib/server/search.ts';
import * as Y from 'yjs';
import { createApp } from '../src/lib/server/app.ts';
import { readConfig } from '../src/lib/server/config.ts';
import { stopNotificationEmails } from '../src/lib/server/notifications.ts';
import { removeGuest } from '../src/lib/server/guests/removal.ts';

let relay: TestRelay;
let orgId: string;
let aliceId: string;
let noraId: string;
const limits = { maxMessageBytes: 2 * 1024 * 1024, maxAttachmentBytes: 64 * 1024, maxAttachments: 5 };

beforeEach(async () => {
	vi.spyOn(console, 'log').mockImplementation(() => {});
	relay = await startRelay();
	orgId = await relay.addOrg('Acme');
	aliceId = (await relay.addUser('Alice')).id;
	noraId = (await relay.addUser('Nora')).id;
	await relay.addMember(orgId, aliceId, 'owner');
});
afterEach(async () => {
	stopNotificationEmails(relay.database);
	await relay.close();
	vi.restoreAllMocks();
});

async function mail(id: string, from: string, subject: string, body: string): Promise<string> {
	const raw = Buffer.from(`From: ${from}\r\nTo: Support <support@acme.test>\r\nSubject: ${subject}\r\nMessage-ID: <${id}@example.com>\r\nContent-Type: text/plain\r\n\r\n${body}\r\n`);
	const result = await receiveMail(relay.database, raw, [orgId], limits);
	if (!result.ok) throw new Error(result.message);
	return result.deliveries[0].conversationId;
}
async function find(userId: string, query: string) {
	await relay.database.searchIndex.flush();
	return search(relay.database, userId, query);
}
const ids = (result: Awaited<ReturnType<typeof search>>) => (result.ok ? result.hits.map((h) => h.conversationId) : result.message);

describe('search', () => {
	it('finds a body word, a sender name and address, with the match marked in the snippet', async () => {
		const lamp = await mail('lamp', 'Dana Scully <dana@example.com>', 'Lamp order', 'The glass panel arrived cracked.');
		await mail('chair', 'Fox <fox@example.com>', 'Chair', 'The chair is fine.');
		const byWord = await find(aliceId, 'glass');
		expect(ids(byWord)).toEqual([lamp]);
		if (!byWord.ok) throw new Error();
		expect(byWord.hits[0].snippet).toContain(`${MARK_START}glass${MARK_END}`);
		expect(ids(await find(aliceId, 'Scully'))).toEqual([lamp]);
		expect(ids(await find(aliceId, 'from:dana@example.com'))).toEqual([lamp]);
		expect(ids(await find(aliceId, 'from:fox glass'))).toEqual([]);
		expect(ids(await find(aliceId, 'to:support'))).toHaveLength(2);
		expect(ids(await find(aliceId, 'crack'))).toEqual([lamp]); // a word being typed matches as a prefix
	});

	it('indexes chat messages and task titles as they are written, and an edit replaces the old text', async () => {
		const id = await relay.addConversation(orgId, { subject: 'Planning' });
		await relay.database.relay.serverEdit(`c/${id}/chat`, (doc) => {
			doc.getMap('messages').set(`${aliceId}:m1`, { id: `${aliceId}:m1`, authorId: aliceId, text: 'Warehouse packing issue', mentions: [], createdAt: 1 });
		});
		await relay.database.relay.serverEdit(`c/${id}/tasks`, (doc) => {
			doc.getMap('tasks').set('t1', { id: 't1', title: 'Ship a replacement', description: '', status: 'open', due: null, createdBy: aliceId, createdAt: 1, updatedAt: 1, updatedBy: aliceId });
		});
		expect(ids(await find(aliceId, 'warehouse'))).toEqual([id]);
		expect(ids(await find(aliceId, 'replacement'))).toEqual([id]);
		await relay.database.relay.serverEdit(`c/${id}/chat`, (doc) => {
			doc.getMap('messages').set(`${aliceId}:m1`, { id: `${aliceId}:m1`, authorId: aliceId, text: 'Courier delay', mentions: [], createdAt: 1, editedAt: 2 });
		});
		expect(ids(await find(aliceId, 'warehouse'))).toEqual([]);
		expect(ids(await find(aliceId, 'courier'))).toEqual([id]);
	});

	it('a removed chat message and a deleted one are no longer found', async () => {
		const id = await relay.addConversation(orgId, { subject: 'Moderation' });
		await relay.database.relay.serverEdit(`c/${id}/chat`, (doc) => {
			doc.getMap('messages').set(`${aliceId}:m1`, { id: `${aliceId}:m1`, authorId: aliceId, text: 'Offensive pineapple remark', mentions: [], createdAt: 1 });
			doc.getMap('messages').set(`${aliceId}:m2`, { id: `${aliceId}:m2`, authorId: aliceId, text: 'Typo pineapple', mentions: [], createdAt: 2 });
		});
		expect(ids(await find(aliceId, 'pineapple'))).toEqual([id]);
		expect(ids(await find(aliceId, 'offensive'))).toEqual([id]);
		await relay.database.relay.serverEdit(`c/${id}/chat`, (doc) => {
			doc.getMap('messages').set(`${aliceId}:m1`, { id: `${aliceId}:m1`, authorId: aliceId, text: '', mentions: [], createdAt: 1, removed: { by: aliceId, name: 'Alice', at: 3 } });
		});
		expect(ids(await find(aliceId, 'offensive'))).toEqual([]);
		expect(ids(await find(aliceId, 'pineapple'))).toEqual([id]);
		await relay.database.relay.serverEdit(`c/${id}/chat`, (doc) => doc.getMap('messages').delete(`${aliceId}:m2`));
		expect(ids(await find(aliceId, 'pineapple'))).toEqual([]);
	});

	it('a chat message is found by its author name, and a guest finds chat of her conversation until she is removed', async () => {
		const hers = await mail('kept', 'Dana <dana@example.com>', 'Kept', 'Hello.');
		await relay.addGuest(hers, noraId);
		await relay.database.relay.serverEdit(`c/${hers}/chat`, (doc) => {
			doc.getMap('messages').set(`${aliceId}:m1`, { id: `${aliceId}:m1`, authorId: aliceId, text: 'Tangerine shipment tomorrow', mentions: [], createdAt: 1 });
		});
		expect(ids(await find(noraId, 'tangerine'))).toEqual([hers]);
		expect(ids(await find(noraId, 'from:alice tangerine'))).toEqual([hers]);
		const removed = await removeGuest(relay.database, { actorId: aliceId, guestId: noraId, orgId, conversationId: hers });
		expect(removed.ok).toBe(true);
		expect(ids(await find(noraId, 'tangerine'))).toEqual([]);
		expect(ids(await find(noraId, 'hello'))).toEqual([]);
		expect(ids(await find(aliceId, 'tangerine'))).toEqual([hers]);
	});

	it('a guest finds nothing of a conversation she is not in, nor by a label name; label: and assignee: are refused for her', async () => {
		const hers = await mail('hers', 'Dana <dana@example.com>', 'Her lamp', 'Shared lamp question.');
		const other = await mail('other', 'Eve <eve@example.com>', 'Secret', 'Zanzibar merger plans.');
		await relay.addGuest(hers, noraId);
		await relay.database.relay.serverEdit(`o/${orgId}/labels`, (doc) => doc.getMap('labels').set('canary', { id: 'canary', name: 'Canarylabel', color: '#d93025', createdBy: aliceId }));
		await relay.database.relay.serverEdit(`c/${hers}/internal`, (doc) => {
			doc.getMap('labels').set('canary', { labelId: 'canary', appliedBy: aliceId, appliedAt: 1 });
			doc.getMap('assignees').set(aliceId, { userId: aliceId, assignedBy: aliceId, assignedAt: 1 });
		});
		expect(ids(await find(noraId, 'lamp'))).toEqual([hers]);
		expect(ids(await find(noraId, 'zanzibar'))).toEqual([]);
		expect(ids(await find(noraId, 'Canarylabel'))).toEqual([]);
		expect(ids(await find(noraId, 'label:Canarylabel'))).toEqual('Filters by label, assignee or status are only for members of the organization.');
		expect(ids(await find(noraId, 'assignee:Alice'))).toEqual('Filters by label, assignee or status are only for members of the organization.');
		// the member sees both, and her filters work
		expect(ids(await find(aliceId, 'zanzibar'))).toEqual([other]);
		expect(ids(await find(aliceId, 'label:canarylabel'))).toEqual([hers]);
		expect(ids(await find(aliceId, 'assignee:me'))).toEqual([hers]);
		expect(ids(await find(aliceId, 'assignee:Alice lamp'))).toEqual([hers]);
		expect(ids(await find(aliceId, 'is:open zanzibar'))).toEqual([other]);
		expect(ids(await find(aliceId, 'is:closed'))).toEqual([]);
		expect(ids(await find(aliceId, 'label:nosuch'))).toBe('There is no label “nosuch”.');
		expect(ids(await find(aliceId, 'assignee:nobody@example.com'))).toBe('Nobody in your organization is “nobody@example.com”.');
		// unassigning and removing the label are followed
		await relay.database.relay.serverEdit(`c/${hers}/internal`, (doc) => {
			doc.getMap('labels').delete('canary');
			doc.getMap('assignees').delete(aliceId);
		});
		expect(ids(await find(aliceId, 'label:canarylabel'))).toEqual([]);
		expect(ids(await find(aliceId, 'assignee:me'))).toEqual([]);
	});

	it('a bad query is a clear message', async () => {
		expect(ids(await find(aliceId, 'is:archived'))).toBe('"is:archived" is not known. Use is:open, is:closed or is:snoozed.');
		expect(ids(await find(aliceId, '"unclosed'))).toBe('A quotation mark is not closed.');
	});

	it('nothing is lost across a restart: shutdown indexes the last commits, catchUp what a crash left unindexed', async () => {
		const id = await relay.addConversation(orgId, { subject: 'Restart' });
		await relay.database.relay.serverEdit(`c/${id}/chat`, (doc) => {
			doc.getMap('messages').set(`${aliceId}:m1`, { id: `${aliceId}:m1`, authorId: aliceId, text: 'Quokka sighting', mentions: [], createdAt: 1 });
		});
		// a crash between a commit and its indexing: an update stored in the log (as the write queue
		// stores it) that no indexer heard of, in a conversation the relay has not loaded
		const other = await relay.addConversation(orgId, { subject: 'Crashed' });
		const written = new Y.Doc();
		written.getMap('messages').set(`${aliceId}:m1`, { id: `${aliceId}:m1`, authorId: aliceId, text: 'Wombat burrow', mentions: [], createdAt: 1 });
		await relay.database.relay.store.append([{ doc: `c/${other}/chat`, update: Y.encodeStateAsUpdate(written), userId: aliceId, newBindings: [] }]);
		// closed without a flush: the quokka's mark is indexed by the shutdown itself
		await relay.database.close();
		const next = await createApp({ ...readConfig(), databaseUrl: relay.databaseUrl }, { log: () => {} });
		try {
			expect(ids(await search(next, aliceId, 'quokka'))).toEqual([id]);
			expect(ids(await search(next, aliceId, 'wombat'))).toEqual([]);
			expect(await next.searchIndex.catchUp()).toBeGreaterThanOrEqual(1);
			expect(ids(await search(next, aliceId, 'wombat'))).toEqual([other]);
			expect(ids(await search(next, aliceId, 'quokka'))).toEqual([id]);
			// everything indexed: a second start has nothing to catch up
			expect(await next.searchIndex.catchUp()).toBe(0);
		} finally {
			await next.close();
		}
	});

	it('a guest who owns an organization filters its conversations by label, assignee and status, never one she is a guest of', async () => {
		const studio = await relay.addOrg('Nora Studio');
		await relay.addMember(studio, noraId, 'owner');
		// both organizations have a label "Urgent" on a conversation about a glass lamp, assigned to Nora
		const acme = await mail('acme-lamp', 'Dana <dana@example.com>', 'Glass lamp', 'The glass lamp is cracked.');
		await relay.addGuest(acme, noraId);
		const own = await relay.addConversation(studio, { subject: 'Studio lamp' });
		await relay.database.relay.serverEdit(`c/${own}/tasks`, (doc) => {
			doc.getMap('tasks').set('t1', { id: 't1', title: 'Glass lamp repair', description: '', status: 'open', due: null, createdBy: noraId, createdAt: 1, updatedAt: 1, updatedBy: noraId });
		});
		for (const [org, conversation, labelId] of [
			[orgId, acme, 'acme-urgent'],
			[studio, own, 'studio-urgent']
		]) {
			await relay.database.relay.serverEdit(`o/${org}/labels`, (doc) => doc.getMap('labels').set(labelId, { id: labelId, name: 'Urgent', color: '#d93025', createdBy: aliceId }));
			await relay.database.relay.serverEdit(`c/${conversation}/internal`, (doc) => {
				doc.getMap('labels').set(labelId, { labelId, appliedBy: aliceId, appliedAt: 1 });
				doc.getMap('assignees').set(noraId, { userId: noraId, assignedBy: aliceId, assignedAt: 1 });
			});
		}
		// without a filter she finds both: the text of her guest conversation is hers to read
		expect(new Set(ids(await find(noraId, 'glass lamp')))).toEqual(new Set([acme, own]));
		// with one, only her own organization's
		expect(ids(await find(noraId, 'label:urgent'))).toEqual([own]);
		expect(ids(await find(noraId, 'label:urgent glass'))).toEqual([own]);
		expect(ids(await find(noraId, 'assignee:me'))).toEqual([own]);
		expect(ids(await find(noraId, 'is:open glass'))).toEqual([own]);
		// an Acme-only label name is unknown to her, worded as for a name nobody uses
		await relay.database.relay.serverEdit(`o/${orgId}/labels`, (doc) => doc.getMap('labels').set('canary', { id: 'canary', name: 'Canarylabel', color: '#d93025', createdBy: aliceId }));
		expect(ids(await find(noraId, 'label:canarylabel'))).toBe('There is no label “canarylabel”.');
		// Alice, a member of Acme, still finds hers by the same filter
		expect(ids(await find(aliceId, 'label:urgent'))).toEqual([acme]);
	});
});
