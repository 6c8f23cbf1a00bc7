// An access change on one node reaches sockets on another: two relays over one shared database
// and one real Redis. A guest removed on node A loses the conversation on node B; a session
// ended on A closes its socket on B. The time is printed (measured, not asserted).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { MessageType } from '../../src/lib/shared/protocol.ts';
import { AccessBus, parseAccessMessage } from '../../server/scaleout/access-bus.ts';
import { open, setUp, startRelay, until, type TestRelay } from '../relay/fixture.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

let redis: TestRedis;
let nodeA: TestRelay;
let nodeB: TestRelay;
const buses: AccessBus[] = [];
const connections: Redis[] = [];

function connection(): Redis {
	const c = new Redis(redis.url, { maxRetriesPerRequest: 1 });
	c.on('error', () => {});
	connections.push(c);
	return c;
}

async function bus(nodeId: string, node: TestRelay): Promise<AccessBus> {
	const b = new AccessBus({ nodeId, redis: connection(), subscriber: connection(), target: node.database.relay, log: () => {} });
	await b.start();
	buses.push(b);
	return b;
}

beforeAll(async () => {
	redis = await startRedis();
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-access-bus-'));
	nodeA = await startRelay({ dir });
	nodeB = await startRelay({ dir });
}, 60_000);

afterAll(async () => {
	await Promise.all(buses.map((b) => b.stop()));
	for (const c of connections) c.disconnect();
	await nodeB?.close();
	await nodeA?.close();
	await redis?.stop();
}, 60_000);

describe('access changes across nodes', () => {
	it('a guest removed on one node loses the conversation on another; a session ended there closes its socket', async () => {
		const busA = await bus('a', nodeA);
		await bus('b', nodeB);
		const s = await setUp(nodeA, { members: ['Alice'], guests: ['Gus', 'Gina'] });
		const gus = await nodeB.connect(s.people.Gus.cookie);
		const gina = await nodeB.connect(s.people.Gina.cookie);
		expect((await open(gus, s.docs.chat)).role).toBe('guest');
		expect((await open(gina, s.docs.chat)).role).toBe('guest');

		await nodeA.database.client.execute({
			sql: 'DELETE FROM conversation_participants WHERE conversation_id = ? AND user_id = ?',
			args: [s.conversation, s.people.Gus.id]
		});
		const from = gus.frames.length;
		let began = performance.now();
		await busA.apply({ kind: 'refresh', filter: { userId: s.people.Gus.id } });
		await until(
			() => gus.frames.slice(from).some((f) => f.type === MessageType.Access && f.doc === s.docs.chat && f.role === 'none'),
			'access none on the other node'
		);
		console.log(`[access-bus] revocation reached node B in ${(performance.now() - began).toFixed(1)} ms`);
		expect((await open(gus, s.docs.chat)).role).toBe('none');
		// another guest on that node keeps the conversation
		expect((await open(gina, s.docs.chat)).role).toBe('guest');

		began = performance.now();
		await busA.apply({ kind: 'end-sessions', filter: { sessionId: s.people.Gina.sessionId } });
		await until(() => gina.closeCode !== null, 'the ended session closed on the other node');
		console.log(`[access-bus] sign-out reached node B in ${(performance.now() - began).toFixed(1)} ms`);
	});

	it('refuses messages it does not send: nothing widened, nothing applied', () => {
		expect(parseAccessMessage('not json')).toBeNull();
		expect(parseAccessMessage(JSON.stringify({ from: 'a', kind: 'drop-all', filter: {} }))).toBeNull();
		expect(parseAccessMessage(JSON.stringify({ from: 'a', kind: 'end-sessions', filter: {} }))).toBeNull();
		expect(parseAccessMessage(JSON.stringify({ from: 'a', kind: 'refresh', filter: { userId: 5 } }))).toBeNull();
		expect(parseAccessMessage(JSON.stringify({ from: 'a', kind: 'refresh', filter: { role: 'x' } }))).toBeNull();
		expect(parseAccessMessage(JSON.stringify({ from: 'a', kind: 'refresh', filter: { orgId: 'o1' } }))).toEqual({
			from: 'a',
			message: { kind: 'refresh', filter: { orgId: 'o1' } }
		});
	});
});
