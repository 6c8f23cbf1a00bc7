import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import * as encoding from 'lib0/encoding';
import * as Y from 'yjs';
import { createDocIndex, indexUpdate, validateWrite, type DocIndex, type WriteContext, type WriteVerdict } from './write-validator.ts';
import type { Lane } from './doc-names.ts';
import { removedChatMessage, type ChatMessage, type ReplyDraft, type Task } from './records.ts';

const ALICE = 'alice';
const BOB = 'bob';
const GUEST = 'gus';
const members = new Set([ALICE, BOB]);
const labels = new Set(['urgent']);

const draft = (editedBy: string, text = 'Dear Dana'): ReplyDraft => ({
	replyTo: 'm1', id: 'draft0001', mode: 'reply', to: 'dana@x.test', cc: '', text, quote: true, editedBy, editedAt: 1
});
const chat = (author: string, id: string, text = 'hi'): ChatMessage => ({
	id: `${author}:${id}`, authorId: author, text, mentions: [], createdAt: 1
});
const task = (id: string, by: string, patch: Partial<Task> = {}): Task => ({
	id, title: 'Call back', description: '', status: 'open', due: null,
	createdBy: by, createdAt: 1, updatedAt: 1, updatedBy: by, ...patch
});

/** A relay for one document: the validator's index plus a Y.Doc replica to check what was stored. */
function createRelay(lane: Lane) {
	const index = createDocIndex();
	const stored = new Y.Doc();
	const ctx = (actorId: string, over: Partial<WriteContext> = {}): WriteContext => ({
		actorId, lane, canWrite: true, isMember: (id) => members.has(id), labelExists: (id) => labels.has(id), ...over
	});
	return {
		index,
		stored,
		/** Validates; folds accepted, non-duplicate writes into index and replica, as the relay does. */
		send(update: Uint8Array, actorId: string, over: Partial<WriteContext> = {}): WriteVerdict {
			const verdict = validateWrite(index, update, ctx(actorId, over));
			if (verdict.ok && !verdict.duplicate) {
				indexUpdate(index, verdict.update, actorId);
				Y.applyUpdate(stored, verdict.update);
			}
			return verdict;
		},
		/** A client replica with a chosen client id, synced to the relay's state. */
		client(clientID: number): Y.Doc {
			const doc = new Y.Doc();
			Y.applyUpdate(doc, Y.encodeStateAsUpdate(stored));
			doc.clientID = clientID; // after syncing: Yjs would pick a fresh id on seeing its own id arrive
			return doc;
		}
	};
}
type Relay = ReturnType<typeof createRelay>;

/** The update a client produces for `change`, as its provider would capture it. */
function write(doc: Y.Doc, change: (doc: Y.Doc) => void): Uint8Array {
	const updates: Uint8Array[] = [];
	const onUpdate = (u: Uint8Array) => updates.push(u);
	doc.on('update', onUpdate);
	doc.transact(() => change(doc));
	doc.off('update', onUpdate);
	return Y.mergeUpdates(updates);
}

/** Sends and expects acceptance (setup steps of a case). */
function accept(relay: Relay, update: Uint8Array, actorId: string) {
	const verdict = relay.send(update, actorId);
	if (!verdict.ok) throw new Error(`setup write refused: ${verdict.reason} ${verdict.message}`);
}

function snapshot(index: DocIndex) {
	return structuredClone(index);
}

/** A refused case: [description, lane, build the update (after setup), actor, context overrides, reason]. */
type RefusedCase = [string, Lane, (relay: Relay) => Uint8Array, string, Partial<WriteContext>, string];

const refused: RefusedCase[] = [
	['refuses a guest writing tasks (grant has no write)', 'tasks', (r) => write(r.client(9), (d) => d.getMap('tasks').set('t1', task('t1', GUEST))), GUEST, { canWrite: false }, 'forbidden'],
	['refuses a guest writing internal (grant has no write)', 'internal', (r) => write(r.client(9), (d) => d.getMap('assignees').set(GUEST, { userId: GUEST, assignedBy: GUEST, assignedAt: 1 })), GUEST, { canWrite: false }, 'forbidden'],
	['refuses a client writing the server-only thread', 'thread', (r) => write(r.client(1), (d) => d.getMap('events').set('e1', { id: 'e1', type: 'guest-joined', actorName: 'a', subjectName: 'b', at: 1 })), ALICE, { canWrite: false }, 'forbidden'],
	['refuses overwriting another author\'s chat message', 'chat', (r) => {
		accept(r, write(r.client(2), (d) => d.getMap('messages').set('bob:m1', chat(BOB, 'm1'))), BOB);
		return write(r.client(1), (d) => d.getMap('messages').set('bob:m1', chat(BOB, 'm1', 'edited by alice')));
	}, ALICE, {}, 'not-owner'],
	['refuses deleting another author\'s chat message', 'chat', (r) => {
		accept(r, write(r.client(2), (d) => d.getMap('messages').set('bob:m1', chat(BOB, 'm1'))), BOB);
		return write(r.client(1), (d) => d.getMap('messages').delete('bob:m1'));
	}, ALICE, {}, 'not-owner'],
	['refuses a chat message with a forged authorId', 'chat', (r) => write(r.client(1), (d) => d.getMap('messages').set('alice:m1', { ...chat(ALICE, 'm1'), authorId: BOB })), ALICE, {}, 'not-author'],
	['refuses a chat key with another user\'s prefix', 'chat', (r) => write(r.client(1), (d) => d.getMap('messages').set('bob:m1', { ...chat(BOB, 'm1'), authorId: ALICE })), ALICE, {}, 'foreign-key'],
	['refuses a client id bound to another user', 'chat', (r) => {
		accept(r, write(r.client(1), (d) => d.getMap('messages').set('alice:m1', chat(ALICE, 'm1'))), ALICE);
		return write(r.client(1), (d) => d.getMap('messages').set('bob:m1', chat(BOB, 'm1')));
	}, BOB, {}, 'client-id-taken'],
	['refuses a clock gap (an earlier update was skipped)', 'chat', (r) => {
		const doc = r.client(1);
		write(doc, (d) => d.getMap('messages').set('alice:m1', chat(ALICE, 'm1'))); // never sent
		return write(doc, (d) => d.getMap('messages').set('alice:m2', chat(ALICE, 'm2')));
	}, ALICE, {}, 'clock-gap'],
	['refuses deleting items the server does not have', 'chat', (r) => {
		const doc = r.client(1);
		write(doc, (d) => d.getMap('messages').set('alice:m1', chat(ALICE, 'm1'))); // never sent
		return write(doc, (d) => d.getMap('messages').delete('alice:m1'));
	}, ALICE, {}, 'clock-gap'],
	['refuses an unknown root map', 'chat', (r) => write(r.client(1), (d) => d.getMap('secrets').set('alice:m1', chat(ALICE, 'm1'))), ALICE, {}, 'unknown-root'],
	['refuses a root of another lane', 'tasks', (r) => write(r.client(1), (d) => d.getMap('assignees').set(BOB, { userId: BOB, assignedBy: ALICE, assignedAt: 1 })), ALICE, {}, 'unknown-root'],
	['refuses a record over the size cap', 'chat', (r) => write(r.client(1), (d) => d.getMap('messages').set('alice:m1', { ...chat(ALICE, 'm1', 'x'.repeat(9_000)), mentions: Array(200).fill('u'.repeat(64)) })), ALICE, {}, 'too-large'],
	['refuses an update over the byte cap', 'chat', (r) => write(r.client(1), (d) => d.getMap('messages').set('alice:m1', chat(ALICE, 'm1', 'x'.repeat(500)))), ALICE, { maxUpdateBytes: 200 }, 'too-large'],
	['refuses chat text over 10,000 characters', 'chat', (r) => write(r.client(1), (d) => d.getMap('messages').set('alice:m1', chat(ALICE, 'm1', 'x'.repeat(10_001)))), ALICE, {}, 'invalid-record'],
	['refuses a nested Y type as a value', 'chat', (r) => write(r.client(1), (d) => {
		const nested = new Y.Map<unknown>();
		d.getMap('messages').set('alice:m1', nested);
		nested.set('text', 'hi');
	}), ALICE, {}, 'unsupported-content'],
	['refuses Y.Text content at a root', 'chat', (r) => write(r.client(1), (d) => d.getText('messages').insert(0, 'hi')), ALICE, {}, 'unsupported-content'],
	['refuses a Y.Text as a value', 'tasks', (r) => write(r.client(1), (d) => d.getMap('tasks').set('t1', new Y.Text('hi'))), ALICE, {}, 'unsupported-content'],
	['refuses array entries at a root', 'tasks', (r) => write(r.client(1), (d) => d.getArray('tasks').push([task('t1', ALICE)])), ALICE, {}, 'unsupported-content'],
	['refuses a task that fails its schema', 'tasks', (r) => write(r.client(1), (d) => d.getMap('tasks').set('t1', task('t1', ALICE, { title: '' }))), ALICE, {}, 'invalid-record'],
	['refuses a task stored under another key', 'tasks', (r) => write(r.client(1), (d) => d.getMap('tasks').set('t2', task('t1', ALICE))), ALICE, {}, 'invalid-record'],
	['refuses assigning a non-member (a guest) to the conversation', 'internal', (r) => write(r.client(1), (d) => d.getMap('assignees').set(GUEST, { userId: GUEST, assignedBy: ALICE, assignedAt: 1 })), ALICE, {}, 'unknown-reference'],
	['refuses assigning a non-member to a task', 'internal', (r) => write(r.client(1), (d) => d.getMap('taskAssignees').set('t1', { taskId: 't1', userId: GUEST, assignedBy: ALICE, assignedAt: 1 })), ALICE, {}, 'unknown-reference'],
	['refuses applying a label that does not exist', 'internal', (r) => write(r.client(1), (d) => d.getMap('labels').set('nope', { labelId: 'nope', appliedBy: ALICE, appliedAt: 1 })), ALICE, {}, 'unknown-reference'],
	['refuses deleting a task (tasks are closed, not deleted)', 'tasks', (r) => {
		accept(r, write(r.client(1), (d) => d.getMap('tasks').set('t1', task('t1', ALICE))), ALICE);
		return write(r.client(2), (d) => d.getMap('tasks').delete('t1'));
	}, BOB, {}, 'forbidden'],
	['refuses deleting a task through an appended deleted item', 'tasks', (r) => {
		accept(r, write(r.client(1), (d) => d.getMap('tasks').set('t1', task('t1', ALICE))), ALICE);
		const doc = r.client(2);
		const sv = Y.encodeStateVector(doc);
		write(doc, (d) => d.getMap('tasks').set('t1', task('t1', BOB, { title: 'Renamed' })));
		write(doc, (d) => d.getMap('tasks').delete('t1'));
		return Y.encodeStateAsUpdate(doc, sv); // offline: an overwrite, gc'd to a deleted struct, then the delete
	}, BOB, {}, 'forbidden'],
	['refuses deleting another author\'s message inside a long full-state delete set', 'chat', (r) => {
		const bob = r.client(2);
		for (let i = 0; i < 100; i++) accept(r, write(bob, (d) => d.getMap('messages').set('bob:m1', chat(BOB, 'm1', `v${i}`))), BOB);
		const alice = r.client(1);
		write(alice, (d) => d.getMap('messages').delete('bob:m1'));
		return Y.encodeStateAsUpdate(alice);
	}, ALICE, {}, 'not-owner'],
	['refuses a reply draft that names someone else as its last editor', 'drafts', (r) => {
		accept(r, write(r.client(2), (d) => d.getMap('replies').set('m1', draft(BOB))), BOB);
		return write(r.client(1), (d) => d.getMap('replies').set('m1', draft(BOB, 'Dear Dana, as Bob')));
	}, ALICE, {}, 'not-author'],
	['refuses a guest writing a reply draft (grant has no write)', 'drafts', (r) => write(r.client(9), (d) => d.getMap('replies').set('m1', draft(GUEST))), GUEST, { canWrite: false }, 'forbidden'],
	['refuses bytes that are not an update', 'chat', () => new Uint8Array([1, 2, 3, 200, 255]), ALICE, {}, 'malformed']
];

describe('validateWrite refuses', () => {
	it.each(refused)('%s', (_name, lane, build, actor, over, reason) => {
		const relay = createRelay(lane);
		const update = build(relay);
		const before = snapshot(relay.index);
		const storedBefore = Y.encodeStateAsUpdate(relay.stored);
		const verdict = relay.send(update, actor, over);
		expect(verdict).toMatchObject({ ok: false, reason });
		if (!verdict.ok) expect(verdict.message).not.toBe('');
		expect(relay.index).toEqual(before);
		expect(Y.encodeStateAsUpdate(relay.stored)).toEqual(storedBefore);
	});
});

/** An accepted case: [description, lane, build the update (after setup), actor, check the stored document]. */
type AcceptedCase = [string, Lane, (relay: Relay) => Uint8Array, string, (stored: Y.Doc, verdict: WriteVerdict & { ok: true }) => void];

const accepted: AcceptedCase[] = [
	['accepts an own chat message and binds the new client id', 'chat', (r) => write(r.client(1), (d) => d.getMap('messages').set('alice:m1', chat(ALICE, 'm1'))), ALICE, (doc, v) => {
		expect(doc.getMap('messages').get('alice:m1')).toEqual(chat(ALICE, 'm1'));
		expect(v.newBindings).toEqual([[1, ALICE]]);
	}],
	['accepts editing an own chat message', 'chat', (r) => {
		const doc = r.client(1);
		accept(r, write(doc, (d) => d.getMap('messages').set('alice:m1', chat(ALICE, 'm1'))), ALICE);
		return write(doc, (d) => d.getMap('messages').set('alice:m1', { ...chat(ALICE, 'm1', 'edited'), editedAt: 2 }));
	}, ALICE, (doc, v) => {
		expect(doc.getMap('messages').get('alice:m1')).toMatchObject({ text: 'edited' });
		expect(v.newBindings).toEqual([]);
	}],
	['accepts editing an own message from another device (new client id)', 'chat', (r) => {
		accept(r, write(r.client(1), (d) => d.getMap('messages').set('alice:m1', chat(ALICE, 'm1'))), ALICE);
		return write(r.client(5), (d) => d.getMap('messages').set('alice:m1', chat(ALICE, 'm1', 'from phone')));
	}, ALICE, (doc) => expect(doc.getMap('messages').get('alice:m1')).toMatchObject({ text: 'from phone' })],
	['accepts deleting an own chat message', 'chat', (r) => {
		const doc = r.client(1);
		accept(r, write(doc, (d) => d.getMap('messages').set('alice:m1', chat(ALICE, 'm1'))), ALICE);
		return write(doc, (d) => d.getMap('messages').delete('alice:m1'));
	}, ALICE, (doc) => expect(doc.getMap('messages').has('alice:m1')).toBe(false)],
	['accepts the deleted structs of messages created and deleted offline', 'chat', (r) => {
		const doc = r.client(1);
		write(doc, (d) => d.getMap('messages').set('alice:m1', chat(ALICE, 'm1')));
		write(doc, (d) => d.getMap('messages').set('alice:m1', chat(ALICE, 'm1', 'edited')));
		write(doc, (d) => d.getMap('messages').delete('alice:m1'));
		write(doc, (d) => d.getMap('messages').set('alice:m2', chat(ALICE, 'm2')));
		const update = Y.encodeStateAsUpdate(doc, Y.encodeStateVector(r.stored));
		const kinds = Y.decodeUpdate(update).structs.map((s) => (s instanceof Y.Item ? s.content.constructor.name : s.constructor.name));
		expect(kinds).toContain('ContentDeleted'); // the case really exercises deleted structs
		return update;
	}, ALICE, (doc) => expect([...doc.getMap('messages').keys()]).toEqual(['alice:m2'])],
	['accepts a member editing another member\'s task (overwrite)', 'tasks', (r) => {
		accept(r, write(r.client(1), (d) => d.getMap('tasks').set('t1', task('t1', ALICE))), ALICE);
		return write(r.client(2), (d) => d.getMap('tasks').set('t1', task('t1', ALICE, { status: 'done', updatedBy: BOB })));
	}, BOB, (doc) => expect(doc.getMap('tasks').get('t1')).toMatchObject({ status: 'done', updatedBy: BOB })],
	['accepts assigning a member and applying an existing label', 'internal', (r) => write(r.client(1), (d) => {
		d.getMap('assignees').set(BOB, { userId: BOB, assignedBy: ALICE, assignedAt: 1 });
		d.getMap('labels').set('urgent', { labelId: 'urgent', appliedBy: ALICE, appliedAt: 1 });
	}), ALICE, (doc) => expect(doc.getMap('assignees').has(BOB) && doc.getMap('labels').has('urgent')).toBe(true)],
	['accepts unassigning (removing an internal record) by another member', 'internal', (r) => {
		accept(r, write(r.client(1), (d) => d.getMap('assignees').set(BOB, { userId: BOB, assignedBy: ALICE, assignedAt: 1 })), ALICE);
		return write(r.client(2), (d) => d.getMap('assignees').delete(BOB));
	}, BOB, (doc) => expect(doc.getMap('assignees').has(BOB)).toBe(false)],
	['accepts a member continuing and then sending (deleting) another member\'s reply draft', 'drafts', (r) => {
		accept(r, write(r.client(1), (d) => d.getMap('replies').set('m1', draft(ALICE))), ALICE);
		const bob = r.client(2);
		accept(r, write(bob, (d) => d.getMap('replies').set('m1', draft(BOB, 'Dear Dana, thanks'))), BOB);
		return write(bob, (d) => d.getMap('replies').delete('m1'));
	}, BOB, (doc) => expect(doc.getMap('replies').has('m1')).toBe(false)],
	['accepts the server writing the thread as system', 'thread', (r) => write(r.client(77), (d) => d.getMap('events').set('e1', { id: 'e1', type: 'guest-joined', actorName: 'Alice', subjectName: 'Gus', at: 1 })), 'system', (doc) => expect(doc.getMap('events').has('e1')).toBe(true)],
	['accepts a full-state resend whose delete set holds other users\' deletions', 'chat', (r) => {
		const bob = r.client(2);
		accept(r, write(bob, (d) => d.getMap('messages').set('bob:m1', chat(BOB, 'm1'))), BOB);
		accept(r, write(bob, (d) => d.getMap('messages').set('bob:m1', chat(BOB, 'm1', 'edited'))), BOB);
		const alice = r.client(1);
		write(alice, (d) => d.getMap('messages').set('alice:m1', chat(ALICE, 'm1')));
		return Y.encodeStateAsUpdate(alice); // everything, including the deletion of bob's first version
	}, ALICE, (doc) => {
		expect(doc.getMap('messages').get('bob:m1')).toMatchObject({ text: 'edited' });
		expect(doc.getMap('messages').has('alice:m1')).toBe(true);
	}],
	['accepts a full-state resend with a long delete set of other users\' history', 'chat', (r) => {
		const bob = r.client(2);
		for (let i = 0; i < 100; i++) accept(r, write(bob, (d) => d.getMap('messages').set('bob:m1', chat(BOB, 'm1', `v${i}`))), BOB);
		const alice = r.client(1);
		write(alice, (d) => d.getMap('messages').set('alice:m1', chat(ALICE, 'm1')));
		return Y.encodeStateAsUpdate(alice);
	}, ALICE, (doc) => {
		expect(doc.getMap('messages').get('bob:m1')).toMatchObject({ text: 'v99' });
		expect(doc.getMap('messages').has('alice:m1')).toBe(true);
	}]
];

describe('validateWrite accepts', () => {
	it.each(accepted)('%s', (_name, lane, build, actor, checkStored) => {
		const relay = createRelay(lane);
		const update = build(relay);
		const verdict = relay.send(update, actor);
		expect(verdict).toMatchObject({ ok: true, duplicate: false });
		checkStored(relay.stored, verdict as WriteVerdict & { ok: true });
	});
});

describe('resends', () => {
	it('acknowledges a resent update as a duplicate without changing the index', () => {
		const relay = createRelay('chat');
		const doc = relay.client(1);
		const first = write(doc, (d) => d.getMap('messages').set('alice:m1', chat(ALICE, 'm1')));
		const edit = write(doc, (d) => d.getMap('messages').set('alice:m1', chat(ALICE, 'm1', 'edited')));
		accept(relay, first, ALICE);
		accept(relay, edit, ALICE);
		const before = snapshot(relay.index);
		for (const update of [first, edit, Y.mergeUpdates([first, edit]), Y.encodeStateAsUpdate(doc)]) {
			expect(relay.send(update, ALICE)).toMatchObject({ ok: true, duplicate: true, newBindings: [] });
		}
		expect(relay.index).toEqual(before);
	});

	it('keeps only the new part of an update that overlaps what the server has', () => {
		const relay = createRelay('chat');
		const doc = relay.client(1);
		const first = write(doc, (d) => d.getMap('messages').set('alice:m1', chat(ALICE, 'm1')));
		accept(relay, first, ALICE);
		write(doc, (d) => d.getMap('messages').set('alice:m2', chat(ALICE, 'm2')));
		const verdict = relay.send(Y.encodeStateAsUpdate(doc), ALICE);
		expect(verdict).toMatchObject({ ok: true, duplicate: false });
		if (verdict.ok) expect(Y.decodeUpdate(verdict.update).structs.map((s) => s.id.clock)).toEqual([1]);
	});
});

describe('indexUpdate', () => {
	it('resolves the next overwrite of a key through the index', () => {
		const relay = createRelay('tasks');
		const alice = relay.client(1);
		accept(relay, write(alice, (d) => d.getMap('tasks').set('t1', task('t1', ALICE))), ALICE);
		expect(relay.index.items.get('1:0')).toMatchObject({ root: 'tasks', key: 't1' });
		expect(relay.index.current.get('tasks\u0000t1')).toBe('1:0');
		expect(relay.index.bindings.get(1)).toBe(ALICE);
		expect(relay.index.stateVector.get(1)).toBe(1);

		// the overwrite carries no root or key of its own: only its origin, 1:0
		const overwrite = write(relay.client(2), (d) => d.getMap('tasks').set('t1', task('t1', ALICE, { status: 'done' })));
		const item = Y.decodeUpdate(overwrite).structs[0] as Y.Item;
		expect([item.parent, item.parentSub, item.origin]).toEqual([null, null, Y.createID(1, 0)]);
		accept(relay, overwrite, BOB);
		expect(relay.index.current.get('tasks\u0000t1')).toBe('2:0');

		// without the index, the same bytes cannot be placed
		const blank = createDocIndex();
		const ctx: WriteContext = { actorId: BOB, lane: 'tasks', canWrite: true, isMember: () => true, labelExists: () => true };
		expect(validateWrite(blank, overwrite, ctx)).toMatchObject({ ok: false });
	});

	it.each([
		['the higher client id wins', 3, 2],
		['the lower client id loses', 2, 3]
	])('tracks the live value of concurrent overwrites as Yjs does: %s', (_name, first, second) => {
		const relay = createRelay('tasks');
		accept(relay, write(relay.client(1), (d) => d.getMap('tasks').set('t1', task('t1', ALICE))), ALICE);
		const a = relay.client(first);
		const b = relay.client(second);
		const fromA = write(a, (d) => d.getMap('tasks').set('t1', task('t1', ALICE, { title: 'A' })));
		const fromB = write(b, (d) => d.getMap('tasks').set('t1', task('t1', ALICE, { title: 'B' })));
		accept(relay, fromA, ALICE);
		accept(relay, fromB, BOB);
		const live = relay.stored.getMap('tasks').get('t1') as Task;
		const liveClient = live.title === 'A' ? first : second;
		expect(relay.index.current.get('tasks\u0000t1')).toBe(`${liveClient}:0`);
		// so deleting the live value is still seen as a removal
		const del = write(relay.client(4), (d) => d.getMap('tasks').delete('t1'));
		expect(relay.send(del, BOB)).toMatchObject({ ok: false, reason: 'forbidden' });
	});

	it('builds the same index from the stored bytes as from the accepted writes', () => {
		const relay = createRelay('internal');
		accept(relay, write(relay.client(1), (d) => d.getMap('assignees').set(BOB, { userId: BOB, assignedBy: ALICE, assignedAt: 1 })), ALICE);
		accept(relay, write(relay.client(2), (d) => d.getMap('assignees').set(BOB, { userId: BOB, assignedBy: BOB, assignedAt: 2 })), BOB);
		accept(relay, write(relay.client(1), (d) => d.getMap('labels').set('urgent', { labelId: 'urgent', appliedBy: ALICE, appliedAt: 1 })), ALICE);
		accept(relay, write(relay.client(2), (d) => d.getMap('labels').delete('urgent')), BOB);
		const rebuilt = createDocIndex();
		for (const [client, user] of relay.index.bindings) rebuilt.bindings.set(client, user);
		indexUpdate(rebuilt, Y.encodeStateAsUpdate(relay.stored), 'system');
		// the same entries (deleted items arrive as deleted structs, without the origin kept for live ones)
		const view = (index: DocIndex) => ({
			...index,
			items: new Map([...index.items].map(([id, { root, key }]) => [id, { root, key }]))
		});
		expect(view(rebuilt)).toEqual(view(relay.index));
		expect([...rebuilt.current.keys()]).toEqual(['assignees\u0000bob']); // the removed label is not live
	});
});

describe('validateWrite on hostile bytes', () => {
	const relay = createRelay('chat');
	const doc = relay.client(1);
	accept(relay, write(doc, (d) => d.getMap('messages').set('alice:m1', chat(ALICE, 'm1'))), ALICE);
	const valid = [
		write(doc, (d) => d.getMap('messages').set('alice:m1', chat(ALICE, 'm1', 'edited'))),
		write(doc, (d) => d.getMap('messages').delete('alice:m1')),
		write(doc, (d) => d.getMap('messages').set('alice:m2', chat(ALICE, 'm2')))
	];
	const ctx: WriteContext = { actorId: ALICE, lane: 'chat', canWrite: true, isMember: () => true, labelExists: () => true };
	const decodes = (bytes: Uint8Array) => {
		try {
			Y.decodeUpdate(bytes);
			return true;
		} catch {
			return false;
		}
	};
	const checkNeverThrows = (bytes: Uint8Array) => {
		const before = snapshot(relay.index);
		const verdict = validateWrite(relay.index, bytes, ctx);
		if (!decodes(bytes)) expect(verdict.ok).toBe(false);
		expect(relay.index).toEqual(before);
	};

	it('never throws on random bytes, and refuses what does not decode', () => {
		fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), checkNeverThrows), { numRuns: 2000 });
	});

	it('never throws on mutated valid updates, and refuses what does not decode', () => {
		const mutated = fc
			.tuple(fc.constantFrom(...valid), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), fc.nat())
			.map(([update, edits, cut]) => {
				const bytes = update.slice();
				for (const [at, byte] of edits) bytes[at % bytes.length] = byte;
				return cut % 3 === 0 ? bytes.slice(0, cut % bytes.length) : bytes;
			});
		fc.assert(fc.property(mutated, checkNeverThrows), { numRuns: 2000 });
	});
});

describe('validateWrite on crafted shapes', () => {
	/** A v1 update by hand: one client with one GC struct of `len` clocks, then a delete set. */
	function craft(client: number, len: number, deletes: Array<[number, number]>): Uint8Array {
		const e = encoding.createEncoder();
		encoding.writeVarUint(e, 1); // clients
		encoding.writeVarUint(e, 1); // structs
		encoding.writeVarUint(e, client);
		encoding.writeVarUint(e, 0); // first clock
		encoding.writeUint8(e, 0); // info 0: GC
		encoding.writeVarUint(e, len);
		encoding.writeVarUint(e, deletes.length ? 1 : 0);
		if (deletes.length) {
			encoding.writeVarUint(e, client);
			encoding.writeVarUint(e, deletes.length);
			for (const [clock, n] of deletes) {
				encoding.writeVarUint(e, clock);
				encoding.writeVarUint(e, n);
			}
		}
		return encoding.toUint8Array(e);
	}
	const ctx: WriteContext = { actorId: ALICE, lane: 'chat', canWrite: true, isMember: () => true, labelExists: () => true };

	it.each([
		['refuses a struct claiming a billion clocks', craft(3, 2 ** 30, []), 'too-large'],
		['refuses a delete set naming too many ids', craft(3, 100_000, Array(100).fill([0, 100_000])), 'too-large'],
		['refuses deleting past what exists', craft(3, 10, [[5, 10]]), 'clock-gap']
	] as const)('%s, quickly', (_name, update, reason) => {
		const started = performance.now();
		expect(validateWrite(createDocIndex(), update, ctx)).toMatchObject({ ok: false, reason });
		expect(performance.now() - started).toBeLessThan(500);
	});

	it('accepts the actor\'s own GC structs under a long, overlapping delete set, quickly', () => {
		const started = performance.now();
		const verdict = validateWrite(createDocIndex(), craft(3, 1000, Array(2000).fill([0, 1000])), ctx);
		expect(verdict).toMatchObject({ ok: true, duplicate: false, newBindings: [[3, ALICE]] });
		expect(performance.now() - started).toBeLessThan(500);
	});
});

describe('moderation: owners and admins remove any chat message, as "removed by <name>"', () => {
	const ADMIN = 'ada';
	const mod: Partial<WriteContext> = { canModerate: true, actorName: 'Ada' };
	const removal = (m: ChatMessage, by = ADMIN, name = 'Ada') => removedChatMessage(m, { id: by, name }, 9);
	/** Gus (a guest) posts gus:m1 and Bob posts bob:m1; returns a moderator's synced replica. */
	const posted = (r: Relay) => {
		accept(r, write(r.client(3), (d) => d.getMap('messages').set('gus:m1', chat(GUEST, 'm1', 'x'.repeat(5000)))), GUEST);
		accept(r, write(r.client(2), (d) => d.getMap('messages').set('bob:m1', chat(BOB, 'm1'))), BOB);
		return r.client(4);
	};
	// [description, build the update (after setup), actor, context, expected reason or 'ok']
	const cases: Array<[string, (r: Relay) => Uint8Array, string, Partial<WriteContext>, string]> = [
		['a moderator replaces a guest\'s message by a removal naming them', (r) => write(posted(r), (d) => d.getMap('messages').set('gus:m1', removal(chat(GUEST, 'm1')))), ADMIN, mod, 'ok'],
		['a moderator replaces a member\'s message by a removal', (r) => write(posted(r), (d) => d.getMap('messages').set('bob:m1', removal(chat(BOB, 'm1')))), ADMIN, mod, 'ok'],
		['an author replaces their own message by a removal', (r) => write((posted(r), r.client(2)), (d) => d.getMap('messages').set('bob:m1', removal(chat(BOB, 'm1'), BOB, 'Bob'))), BOB, { actorName: 'Bob' }, 'ok'],
		['a plain member (no moderation) cannot remove another\'s message', (r) => write(posted(r), (d) => d.getMap('messages').set('gus:m1', removal(chat(GUEST, 'm1'), ALICE, 'Alice'))), ALICE, { actorName: 'Alice' }, 'not-owner'],
		['a guest cannot remove another\'s message', (r) => write((posted(r), r.client(3)), (d) => d.getMap('messages').set('bob:m1', removal(chat(BOB, 'm1'), GUEST, 'Gus'))), GUEST, { actorName: 'Gus' }, 'not-owner'],
		['a guest with a forged moderation flag still cannot delete outright', (r) => write((posted(r), r.client(3)), (d) => d.getMap('messages').delete('bob:m1')), GUEST, { canModerate: true }, 'not-owner'],
		['a moderator cannot delete a message outright (no trace)', (r) => write(posted(r), (d) => d.getMap('messages').delete('gus:m1')), ADMIN, mod, 'not-owner'],
		['a moderator cannot rewrite a message', (r) => write(posted(r), (d) => d.getMap('messages').set('gus:m1', chat(GUEST, 'm1', 'put words in mouth'))), ADMIN, mod, 'not-owner'],
		['a moderator cannot keep text in a removal', (r) => write(posted(r), (d) => d.getMap('messages').set('gus:m1', { ...removal(chat(GUEST, 'm1')), text: 'still here' })), ADMIN, mod, 'invalid-record'],
		['a removal must name the moderator, not someone else', (r) => write(posted(r), (d) => d.getMap('messages').set('gus:m1', removal(chat(GUEST, 'm1'), BOB, 'Bob'))), ADMIN, mod, 'not-author'],
		['a removal must carry the moderator\'s own name', (r) => write(posted(r), (d) => d.getMap('messages').set('gus:m1', removal(chat(GUEST, 'm1'), ADMIN, 'The CEO'))), ADMIN, mod, 'not-author'],
		['a moderator cannot move a message to another author', (r) => write(posted(r), (d) => d.getMap('messages').set('gus:m1', { ...removal(chat(GUEST, 'm1')), authorId: BOB })), ADMIN, mod, 'not-owner'],
		['a moderator cannot make up a removed message of someone else', (r) => write(posted(r), (d) => d.getMap('messages').set('gus:m9', removal(chat(GUEST, 'm9')))), ADMIN, mod, 'foreign-key'],
		['a removal made on an older version than the live one is refused (it would hide the live one)', (r) => {
			const stale = posted(r);
			accept(r, write(r.client(3), (d) => d.getMap('messages').set('gus:m1', { ...chat(GUEST, 'm1', 'edited'), editedAt: 2 })), GUEST);
			return write(stale, (d) => d.getMap('messages').set('gus:m1', removal(chat(GUEST, 'm1'))));
		}, ADMIN, mod, 'not-owner'],
		['the author cannot restore a removed message', (r) => {
			accept(r, write(posted(r), (d) => d.getMap('messages').set('gus:m1', removal(chat(GUEST, 'm1')))), ADMIN, mod);
			return write(r.client(3), (d) => d.getMap('messages').set('gus:m1', chat(GUEST, 'm1', 'back again')));
		}, GUEST, {}, 'not-owner'],
		['the author cannot delete the removal', (r) => {
			accept(r, write(posted(r), (d) => d.getMap('messages').set('gus:m1', removal(chat(GUEST, 'm1')))), ADMIN, mod);
			return write(r.client(3), (d) => d.getMap('messages').delete('gus:m1'));
		}, GUEST, {}, 'not-owner']
	];

	function accept(relay: Relay, update: Uint8Array, actorId: string, over: Partial<WriteContext> = {}) {
		const verdict = relay.send(update, actorId, over);
		if (!verdict.ok) throw new Error(`setup write refused: ${verdict.reason} ${verdict.message}`);
	}

	it.each(cases)('%s', (_name, build, actor, over, expected) => {
		const relay = createRelay('chat');
		const update = build(relay);
		const before = snapshot(relay.index);
		const verdict = relay.send(update, actor, over);
		if (expected !== 'ok') {
			expect(verdict).toMatchObject({ ok: false, reason: expected });
			expect(relay.index).toEqual(before);
			return;
		}
		expect(verdict).toMatchObject({ ok: true, duplicate: false });
		// what everyone now sees under that key: no text, who removed it, original author and time kept
		const key = [...relay.stored.getMap('messages').entries()].find(([, v]) => (v as ChatMessage).removed)?.[0] ?? 'none removed';
		const shown = relay.stored.getMap('messages').get(key) as ChatMessage;
		expect(shown).toMatchObject({ text: '', mentions: [], createdAt: 1, removed: { by: actor } });
		expect(key.startsWith(`${shown.authorId}:`)).toBe(true);
		// and the index agrees with the stored document (the next write is checked against the removal)
		const rebuilt = createDocIndex();
		indexUpdate(rebuilt, Y.encodeStateAsUpdate(relay.stored), 'system');
		expect(rebuilt.current.has(`messages\u0000${key}`)).toBe(true);
	});
});
