import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { MessageType, writeWrite, type Frame } from '../../src/lib/shared/protocol.ts';
import { OrgLane, orgDoc } from '../../src/lib/shared/doc-names.ts';
import { open, setUp, startRelay, type TestRelay } from './fixture.ts';
import { applyRemote, chatMessage, createWriter } from '../helpers/ydoc.ts';

// Labels and assignees carry canary strings. Across randomized sessions where members label,
// assign, create tasks and chat, no frame sent to a guest's socket — and so no guest replica —
// ever holds one.

const CANARY = 'CANARYx';
let relay: TestRelay;
beforeAll(async () => {
	relay = await startRelay();
});
afterAll(() => relay.close());

type Action =
	| { kind: 'label'; by: 0 | 1; n: number }
	| { kind: 'assign'; by: 0 | 1; who: 0 | 1 }
	| { kind: 'task'; by: 0 | 1; n: number }
	| { kind: 'assignTask'; by: 0 | 1; who: 0 | 1; n: number }
	| { kind: 'chat'; by: 0 | 1 | 2; n: number };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
	fc.record({ kind: fc.constant('label' as const), by: fc.constantFrom(0 as const, 1 as const), n: fc.nat(5) }),
	fc.record({ kind: fc.constant('assign' as const), by: fc.constantFrom(0 as const, 1 as const), who: fc.constantFrom(0 as const, 1 as const) }),
	fc.record({ kind: fc.constant('task' as const), by: fc.constantFrom(0 as const, 1 as const), n: fc.nat(5) }),
	fc.record({ kind: fc.constant('assignTask' as const), by: fc.constantFrom(0 as const, 1 as const), who: fc.constantFrom(0 as const, 1 as const), n: fc.nat(5) }),
	fc.record({ kind: fc.constant('chat' as const), by: fc.constantFrom(0 as const, 1 as const, 2 as const), n: fc.nat(1000) })
);

describe('no internal data reaches a guest', () => {
	it('holds across randomized sessions', async () => {
		let run = 0;
		await fc.assert(
			fc.asyncProperty(fc.array(actionArb, { minLength: 5, maxLength: 30 }), async (actions) => {
				run++;
				const s = await setUp(relay, { orgName: `Org ${run}`, members: ['Mia', 'Max'], guests: ['Gus'] });
				const { org: orgId, conversation: conversationId } = s;
				const members = [s.people.Mia, s.people.Max];
				const guest = s.people.Gus;
				const docs = {
					chat: s.docs.chat,
					tasks: s.docs.tasks,
					internal: s.docs.internal,
					labels: orgDoc(orgId, OrgLane.Labels)
				};
				const memberClients = [await s.connect('Mia'), await s.connect('Max')];
				const guestClient = await s.connect('Gus');
				for (const client of memberClients) for (const doc of Object.values(docs)) expect((await open(client, doc)).role).toBe('member');
				expect((await open(guestClient, docs.chat)).role).toBe('guest');
				expect((await open(guestClient, docs.tasks)).role).toBe('guest');
				expect((await open(guestClient, s.docs.thread)).role).toBe('guest');
				expect((await open(guestClient, docs.internal)).role).toBe('none');
				expect((await open(guestClient, docs.labels)).role).toBe('none');

				// one writer doc per (person, document), with distinct client ids per run
				const base = run * 1000;
				const writers = new Map<string, ReturnType<typeof createWriter>>();
				const writer = (person: number, doc: string) => {
					const key = `${person}|${doc}`;
					if (!writers.has(key)) writers.set(key, createWriter(base + writers.size + 1));
					return writers.get(key)!;
				};
				const clients = [...memberClients, guestClient];
				const ids = [...members.map((m) => m.id), guest.id];
				let writeId = 0;
				const pending: Array<Promise<unknown>> = [];
				const send = (person: number, doc: string, update: Uint8Array) => {
					const id = ++writeId;
					const client = clients[person];
					const from = client.frames.length;
					client.send(writeWrite(doc, id, update));
					pending.push(client.waitFor((f) => (f.type === MessageType.Ack || f.type === MessageType.Nack) && f.doc === doc && f.writeId === id, 5000, from));
				};
				const now = Date.now();
				for (const action of actions) {
					if (action.kind === 'label') {
						const labelId = `${CANARY}L${action.n}`;
						const defs = writer(action.by, docs.labels);
						defs.doc.getMap('labels').set(labelId, { id: labelId, name: `${CANARY} label ${action.n}`, color: '#aa3300', createdBy: ids[action.by] });
						send(action.by, docs.labels, defs.take());
						await Promise.all(pending);
						const internal = writer(action.by, docs.internal);
						internal.doc.getMap('labels').set(labelId, { labelId, appliedBy: ids[action.by], appliedAt: now });
						send(action.by, docs.internal, internal.take());
					} else if (action.kind === 'assign') {
						const internal = writer(action.by, docs.internal);
						internal.doc.getMap('assignees').set(ids[action.who], { userId: ids[action.who], assignedBy: ids[action.by], assignedAt: now });
						send(action.by, docs.internal, internal.take());
					} else if (action.kind === 'task') {
						const tasks = writer(action.by, docs.tasks);
						const id = `t${action.n}`;
						tasks.doc.getMap('tasks').set(id, {
							id, title: `Task ${action.n}`, description: '', status: 'open', due: null,
							createdBy: ids[action.by], createdAt: now, updatedAt: now, updatedBy: ids[action.by]
						});
						send(action.by, docs.tasks, tasks.take());
					} else if (action.kind === 'assignTask') {
						const internal = writer(action.by, docs.internal);
						const taskId = `${CANARY}t${action.n}`;
						internal.doc.getMap('taskAssignees').set(taskId, { taskId, userId: ids[action.who], assignedBy: ids[action.by], assignedAt: now });
						send(action.by, docs.internal, internal.take());
					} else {
						const chat = writer(action.by, docs.chat);
						const record = chatMessage(ids[action.by], `m${action.n}x${writeId}`, `hello ${action.n}`);
						chat.doc.getMap('messages').set(record.id, record);
						send(action.by, docs.chat, chat.take());
					}
					// each writer continues from what its doc has; keep writers independent of others' updates
				}
				const answers = (await Promise.all(pending)) as Frame[];
				// every write was a legitimate one: all acknowledged, so the canaries really flowed
				expect(answers.filter((f) => f.type !== MessageType.Ack)).toEqual([]);
				await relay.endpoint.relay.drain();
				// let fan-out of the last turn reach the sockets
				await new Promise((resolve) => setTimeout(resolve, 30));

				const decoder = new TextDecoder();
				for (const bytes of guestClient.raw) {
					expect(decoder.decode(bytes)).not.toContain(CANARY);
				}
				for (const frame of guestClient.frames) {
					// the only frame about internal data a guest gets is the refusal of its own request
					if (frame.type === MessageType.Access && frame.role === 'none') continue;
					expect(frame.doc).not.toContain('/internal');
					expect(frame.doc.startsWith('o/')).toBe(false);
				}
				// the guest's replica, rebuilt from what it received, has no internal roots either
				const replica = new Y.Doc();
				for (const frame of guestClient.frames) if (frame.type === MessageType.Sync && frame.doc === docs.tasks) applyRemote(replica, frame.data);
				expect(JSON.stringify(replica.toJSON())).not.toContain(CANARY);
				// and the members did receive the labelled data (the canary is real)
				if (actions.some((a) => a.kind === 'label')) {
					const all = memberClients.flatMap((c) => c.raw.map((b) => decoder.decode(b))).join('');
					expect(all).toContain(CANARY);
				}
				for (const client of clients) client.close();
			}),
			{ numRuns: 15 }
		);
	}, 120_000);
});
