import { describe, it, expect } from 'vitest';
import * as Y from 'yjs';
import {
	validateRecord,
	recordSchemas,
	createId,
	chatKey,
	getRecords,
	getRecord,
	setRecord,
	deleteRecord,
	MAX_CHAT_TEXT,
	type Task
} from './records.ts';
import { laneRoots, type Lane } from './doc-names.ts';

const addr = { name: 'Ann', address: 'ann@example.com' };
const task: Task = {
	id: 't1', title: 'Call back', description: '', status: 'open', due: '2026-01-31',
	createdBy: 'u1', createdAt: 1, updatedAt: 1, updatedBy: 'u1'
};
const chat = { id: 'u1:01J0', authorId: 'u1', text: 'hi', mentions: ['u2'], createdAt: 5 };

/** Valid records: [lane, root, key, value]. */
const valid: Array<[Lane, string, string, unknown]> = [
	['thread', 'messages', 'm1', {
		id: 'm1', direction: 'in', from: addr, to: [addr], cc: [], subject: 'Hello', text: 'Body', sentAt: 1,
		messageId: '<a@b>', attachments: [{ id: 'a1', name: 'x.pdf', size: 10, contentType: 'application/pdf' }]
	}],
	['thread', 'messages', 'm2', {
		id: 'm2', direction: 'out', from: addr, to: [addr], cc: [addr], subject: '', text: '', html: '<p>hi</p>', sentAt: 2,
		messageId: '<c@d>', attachments: []
	}],
	['thread', 'events', 'e1', { id: 'e1', type: 'guest-joined', actorName: 'Ann', subjectName: 'Bob', at: 3 }],
	['chat', 'messages', 'u1:01J0', chat],
	['chat', 'messages', 'u1:01J0', { ...chat, editedAt: 6 }],
	['tasks', 'tasks', 't1', task],
	['tasks', 'tasks', 't1', { ...task, due: null, status: 'done' }],
	['internal', 'labels', 'l1', { labelId: 'l1', appliedBy: 'u1', appliedAt: 1 }],
	['internal', 'assignees', 'u2', { userId: 'u2', assignedBy: 'u1', assignedAt: 1 }],
	['internal', 'taskAssignees', 't1', { taskId: 't1', userId: 'u2', assignedBy: 'u1', assignedAt: 1 }],
	['inbox', 'conversations', 'c1', {
		id: 'c1', orgId: 'o1', orgName: 'Acme', subject: 'Hi', kind: 'email', role: 'guest', snippet: '…', lastActivityAt: 9
	}],
	['private', 'labels', 'c1:l1', { conversationId: 'c1', labelId: 'l1' }],
	['private', 'reads', 'c1', { conversationId: 'c1', lastReadAt: 4 }],
	['private', 'drafts', 'c1', { conversationId: 'c1', text: 'draft', updatedAt: 4 }],
	['labels', 'labels', 'l1', { id: 'l1', name: 'Urgent', color: '#ff0000', createdBy: 'u1' }],
	['canned', 'responses', 'r1', { id: 'r1', name: 'Thanks', text: 'Hi {{contact.first_name}}, thanks!', createdBy: 'u1', updatedAt: 1 }],
	['private', 'canned', 'r2', { id: 'r2', name: 'Mine', text: 'See you', createdBy: 'u1', updatedAt: 1 }],
	['private', 'signatures', 'o1', { orgId: 'o1', text: 'Alice\nAcme Support', updatedAt: 1 }]
];

describe('validateRecord accepts', () => {
	it.each(valid)('%s.%s %s', (lane, root, key, value) => {
		expect(validateRecord(lane, root, key, value)).toEqual({ ok: true });
	});

	it('has a schema for every root of every lane, and nothing else', () => {
		for (const [lane, roots] of Object.entries(laneRoots)) {
			expect(Object.keys(recordSchemas[lane as Lane]).sort()).toEqual([...roots].sort());
		}
	});
});

/** Invalid records: [what is wrong, lane, root, key, value, reason]. */
const invalid: Array<[string, Lane, string, string, unknown, string]> = [
	['an unknown root', 'chat', 'tasks', 't1', task, 'unknown-root'],
	['a root of another lane', 'tasks', 'messages', 'u1:x', chat, 'unknown-root'],
	['a prototype key as root', 'tasks', 'constructor', 't1', task, 'unknown-root'],
	['an extra field (strict)', 'tasks', 'tasks', 't1', { ...task, secret: 1 }, 'invalid-record'],
	['a missing field', 'tasks', 'tasks', 't1', { ...task, title: undefined }, 'invalid-record'],
	['an empty task title', 'tasks', 'tasks', 't1', { ...task, title: '' }, 'invalid-record'],
	['a task title over 200 characters', 'tasks', 'tasks', 't1', { ...task, title: 'x'.repeat(201) }, 'invalid-record'],
	['a task description over 5000 characters', 'tasks', 'tasks', 't1', { ...task, description: 'x'.repeat(5001) }, 'invalid-record'],
	['a bad task status', 'tasks', 'tasks', 't1', { ...task, status: 'deleted' }, 'invalid-record'],
	['a due date that is not YYYY-MM-DD', 'tasks', 'tasks', 't1', { ...task, due: '31/01/2026' }, 'invalid-record'],
	['a key that is not the task id', 'tasks', 'tasks', 't2', task, 'invalid-record'],
	['a chat id that is not its key', 'chat', 'messages', 'u1:other', chat, 'invalid-record'],
	['a chat key without author prefix', 'chat', 'messages', '01J0', { ...chat, id: '01J0' }, 'invalid-record'],
	['chat text over 10,000 characters', 'chat', 'messages', 'u1:01J0', { ...chat, text: 'x'.repeat(MAX_CHAT_TEXT + 1) }, 'invalid-record'],
	['empty chat text', 'chat', 'messages', 'u1:01J0', { ...chat, text: '' }, 'invalid-record'],
	['mentions that are not ids', 'chat', 'messages', 'u1:01J0', { ...chat, mentions: ['a b'] }, 'invalid-record'],
	['a record over the 16 KiB JSON cap', 'chat', 'messages', 'u1:01J0', { ...chat, mentions: Array(2000).fill('user_123456') }, 'too-large'],
	['a string instead of a record', 'tasks', 'tasks', 't1', 'hello', 'invalid-record'],
	['null', 'tasks', 'tasks', 't1', null, 'invalid-record'],
	['an array', 'tasks', 'tasks', 't1', [task], 'invalid-record'],
	['a non-integer time', 'private', 'reads', 'c1', { conversationId: 'c1', lastReadAt: 1.5 }, 'invalid-record'],
	['a bad label color', 'labels', 'labels', 'l1', { id: 'l1', name: 'x', color: 'red', createdBy: 'u1' }, 'invalid-record'],
	['a label name over 40 characters', 'labels', 'labels', 'l1', { id: 'l1', name: 'x'.repeat(41), color: '#000000', createdBy: 'u1' }, 'invalid-record'],
	['a canned response with a blank name', 'canned', 'responses', 'r1', { id: 'r1', name: '  ', text: 'x', createdBy: 'u1', updatedAt: 1 }, 'invalid-record'],
	['a canned response without text', 'private', 'canned', 'r1', { id: 'r1', name: 'x', text: '', createdBy: 'u1', updatedAt: 1 }, 'invalid-record'],
	['a signature under another organization', 'private', 'signatures', 'o2', { orgId: 'o1', text: 'x', updatedAt: 1 }, 'invalid-record'],
	['a signature over 2,000 characters', 'private', 'signatures', 'o1', { orgId: 'o1', text: 'x'.repeat(2001), updatedAt: 1 }, 'invalid-record'],
	['a canned response under another id', 'canned', 'responses', 'r9', { id: 'r1', name: 'x', text: 'y', createdBy: 'u1', updatedAt: 1 }, 'invalid-record'],
	['a personal label under the wrong key', 'private', 'labels', 'c1', { conversationId: 'c1', labelId: 'l1' }, 'invalid-record'],
	['an assignee under another user id', 'internal', 'assignees', 'u3', { userId: 'u2', assignedBy: 'u1', assignedAt: 1 }, 'invalid-record'],
	['a thread event of unknown type', 'thread', 'events', 'e1', { id: 'e1', type: 'hacked', actorName: '', subjectName: '', at: 1 }, 'invalid-record'],
	['a number that is not finite', 'private', 'reads', 'c1', { conversationId: 'c1', lastReadAt: NaN }, 'invalid-record'],
	['fields lent by a prototype (a decoded __proto__ key)', 'private', 'reads', 'c1',
		Object.assign(Object.create({ lastReadAt: 1 }), { conversationId: 'c1' }), 'invalid-record'],
	['binary data', 'private', 'drafts', 'c1', { conversationId: 'c1', text: new Uint8Array(2), updatedAt: 1 }, 'invalid-record'],
	['an inbox role of owner', 'inbox', 'conversations', 'c1', {
		id: 'c1', orgId: 'o1', orgName: 'A', subject: '', kind: 'email', role: 'owner', snippet: '', lastActivityAt: 1
	}, 'invalid-record']
];

describe('validateRecord refuses', () => {
	it.each(invalid)('%s', (_what, lane, root, key, value, reason) => {
		const verdict = validateRecord(lane, root, key, value);
		expect(verdict.ok).toBe(false);
		if (!verdict.ok) {
			expect(verdict.reason).toBe(reason);
			expect(verdict.message).not.toBe('');
		}
	});

	it('does not throw on values JSON cannot encode', () => {
		const cyclic: Record<string, unknown> = {};
		cyclic.self = cyclic;
		expect(validateRecord('tasks', 'tasks', 't1', cyclic).ok).toBe(false);
		expect(validateRecord('tasks', 'tasks', 't1', 10n).ok).toBe(false);
		expect(validateRecord('tasks', 'tasks', 't1', undefined).ok).toBe(false);
	});
});

describe('ids', () => {
	it('creates url-safe ids that sort by creation time', () => {
		const a = createId(1_000);
		const b = createId(2_000);
		expect(a).toMatch(/^[0-9A-Z]{26}$/);
		expect(a < b).toBe(true);
		expect(createId()).not.toBe(createId());
	});

	it('makes chat keys that pass the chat schema', () => {
		const key = chatKey('u1', createId());
		expect(validateRecord('chat', 'messages', key, { ...chat, id: key })).toEqual({ ok: true });
	});
});

describe('record helpers on a Y.Doc', () => {
	it('writes valid records as plain values and reads them back', () => {
		const doc = new Y.Doc();
		expect(setRecord(doc, 'tasks', 'tasks', 't1', task)).toEqual({ ok: true });
		expect(getRecords(doc, 'tasks', 'tasks')).toEqual(new Map([['t1', task]]));
		expect(getRecord(doc, 'tasks', 'tasks', 't1')).toEqual(task);
		expect(doc.getMap('tasks').get('t1')).not.toBeInstanceOf(Y.AbstractType);
	});

	it('refuses an invalid record and changes nothing', () => {
		const doc = new Y.Doc();
		const updates: Uint8Array[] = [];
		doc.on('update', (u: Uint8Array) => updates.push(u));
		expect(setRecord(doc, 'tasks', 'tasks', 't1', { ...task, title: '' }).ok).toBe(false);
		expect(updates).toHaveLength(0);
	});

	it('skips invalid values written by someone else, and deletes records', () => {
		const doc = new Y.Doc();
		doc.getMap('tasks').set('bad', { nope: true });
		setRecord(doc, 'tasks', 'tasks', 't1', task);
		expect([...getRecords(doc, 'tasks', 'tasks').keys()]).toEqual(['t1']);
		expect(getRecord(doc, 'tasks', 'tasks', 'bad')).toBeUndefined();
		deleteRecord(doc, 'tasks', 'tasks', 't1');
		expect(getRecords(doc, 'tasks', 'tasks').size).toBe(0);
	});
});
