import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { createMemoryStore } from '../src/lib/sync/local-store.ts';
import { SyncProvider, type SocketLike } from '../src/lib/sync/provider.ts';
import { startRelay, type TestRelay } from './helpers/relay.ts';
import { docJson, serverView, sleep, until } from './helpers/sync-ops.ts';
import { chatMessage } from './helpers/ydoc.ts';

// Several real providers (one socket each, memory stores) edit chat and tasks while fast-check
// drops and restores their connections. At the end every provider and the server (a fresh
// connection) hold the same records, and nothing was refused or left unacknowledged.

let relay: TestRelay;
beforeAll(async () => {
	relay = await startRelay();
});
afterAll(() => relay.close());

type Action =
	| { kind: 'chat'; who: number; n: number }
	| { kind: 'edit'; who: number; n: number }
	| { kind: 'delete'; who: number }
	| { kind: 'task'; who: number; n: number; done: boolean }
	| { kind: 'offline'; who: number }
	| { kind: 'online'; who: number }
	| { kind: 'pause'; ms: number };

const PEOPLE = 3; // two members and a guest (index 2): the guest writes chat only
const who = fc.nat(PEOPLE - 1);
const actionArb: fc.Arbitrary<Action> = fc.oneof(
	{ arbitrary: fc.record({ kind: fc.constant('chat' as const), who, n: fc.nat(1000) }), weight: 4 },
	{ arbitrary: fc.record({ kind: fc.constant('edit' as const), who, n: fc.nat(1000) }), weight: 2 },
	{ arbitrary: fc.record({ kind: fc.constant('delete' as const), who }), weight: 1 },
	{ arbitrary: fc.record({ kind: fc.constant('task' as const), who: fc.nat(1), n: fc.nat(3), done: fc.boolean() }), weight: 3 },
	{ arbitrary: fc.record({ kind: fc.constant('offline' as const), who }), weight: 2 },
	{ arbitrary: fc.record({ kind: fc.constant('online' as const), who }), weight: 2 },
	{ arbitrary: fc.record({ kind: fc.constant('pause' as const), ms: fc.integer({ min: 0, max: 30 }) }), weight: 1 }
);

describe('convergence', () => {
	it('providers editing with random disconnects converge with each other and the server', async () => {
		let run = 0;
		await fc.assert(
			fc.asyncProperty(fc.array(actionArb, { minLength: 5, maxLength: 25 }), async (actions) => {
				run++;
				const org = await relay.addOrg(`Org ${run}`);
				const people = [await relay.addUser('Alice'), await relay.addUser('Bob'), await relay.addUser('Gus')];
				await relay.addMember(org, people[0].id);
				await relay.addMember(org, people[1].id);
				const conversation = await relay.addConversation(org);
				await relay.addGuest(conversation, people[2].id);
				const chat = `c/${conversation}/chat`;
				const tasks = `c/${conversation}/tasks`;

				const networks = people.map(() => ({ down: false }));
				const providers = people.map(
					(p, i) =>
						new SyncProvider({
							url: relay.wsUrl,
							store: createMemoryStore(),
							clientName: `p${i}`,
							backoff: { baseMs: 10, maxMs: 50 },
							createSocket: (url) =>
								new WebSocket(networks[i].down ? 'ws://127.0.0.1:9/sync' : url, {
									headers: { Cookie: p.cookie, Origin: relay.origin }
								}) as unknown as SocketLike
						})
				);
				try {
					for (const [i, p] of providers.entries()) {
						p.open(chat);
						if (i < 2) p.open(tasks);
					}
					await until(() => providers.every((p) => p.status.online), 'every provider is online');

					const own: string[][] = people.map(() => []);
					const messages = (i: number) => providers[i].getDoc(chat)!.getMap<ReturnType<typeof chatMessage>>('messages');
					let seq = 0;
					for (const action of actions) {
						seq++;
						if (action.kind === 'chat') {
							const record = chatMessage(people[action.who].id, `r${run}s${seq}`, `message ${action.n}`);
							messages(action.who).set(record.id, record);
							own[action.who].push(record.id);
						} else if (action.kind === 'edit') {
							const key = own[action.who].at(-1);
							const current = key ? messages(action.who).get(key) : undefined;
							if (key && current) messages(action.who).set(key, { ...current, text: `edited ${action.n}`, editedAt: Date.now() });
						} else if (action.kind === 'delete') {
							const key = own[action.who].pop();
							if (key) messages(action.who).delete(key);
						} else if (action.kind === 'task') {
							const by = people[action.who].id;
							const now = Date.now();
							const id = `t${action.n}`;
							providers[action.who].getDoc(tasks)!.getMap('tasks').set(id, {
								id, title: `Task ${action.n}`, description: `by ${action.who}`, status: action.done ? 'done' : 'open', due: null,
								createdBy: by, createdAt: now, updatedAt: now, updatedBy: by
							});
						} else if (action.kind === 'offline') {
							networks[action.who].down = true;
							providers[action.who].disconnect();
						} else if (action.kind === 'online') {
							networks[action.who].down = false;
							providers[action.who].reconnectNow();
						} else {
							await sleep(action.ms);
						}
					}

					// everyone back online; every local change acknowledged
					for (const [i, p] of providers.entries()) {
						networks[i].down = false;
						p.reconnectNow();
					}
					await until(() => providers.every((p) => p.status.online && p.status.pending === 0), 'every change is acknowledged', 10_000);
					for (const p of providers) expect(p.status.refused).toEqual([]);

					const server = {
						chat: (await serverView(relay, people[0].cookie, chat)).json,
						tasks: (await serverView(relay, people[0].cookie, tasks)).json
					};
					const view = (p: SyncProvider, doc: string) => {
						const d = p.getDoc(doc)!;
						const json = docJson(d);
						// a replica may hold roots it never received anything for; compare the records only
						return Object.fromEntries(Object.entries(json).filter(([, v]) => Object.keys(v).length > 0));
					};
					const nonEmpty = (json: Record<string, Record<string, unknown>>) => Object.fromEntries(Object.entries(json).filter(([, v]) => Object.keys(v).length > 0));
					// key order differs between replicas: compare a canonical form while waiting
					const canon = (json: Record<string, Record<string, unknown>>) =>
						JSON.stringify(Object.entries(json).map(([root, records]) => [root, Object.entries(records).sort(([a], [b]) => (a < b ? -1 : 1))]));
					await until(
						() => providers.every((p, i) => canon(view(p, chat)) === canon(nonEmpty(server.chat)) && (i === 2 || canon(view(p, tasks)) === canon(nonEmpty(server.tasks)))),
						'every replica equals the server',
						5000
					).catch(() => undefined);
					for (const [i, p] of providers.entries()) {
						expect(view(p, chat)).toEqual(nonEmpty(server.chat));
						if (i < 2) expect(view(p, tasks)).toEqual(nonEmpty(server.tasks));
					}
					// the server holds exactly the messages the authors still have
					const expected = new Set(own.flat());
					expect(new Set(Object.keys(server.chat.messages ?? {}))).toEqual(expected);
					// and the Yjs states agree too (same state vectors)
					const sv = (await serverView(relay, people[1].cookie, chat)).sv;
					for (const p of providers) expect([...Y.encodeStateVector(p.getDoc(chat)!)]).toEqual(sv);
				} finally {
					for (const p of providers) p.destroy();
				}
			}),
			{ numRuns: 15 }
		);
	}, 60_000);
});
