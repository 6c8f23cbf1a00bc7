// The app's access changes reach every node: two apps over one database file and one real Redis,
// started as `REDIS_URL=… npm run serve` would start them (createApp with redisUrl). A guest removed
// by removeGuest on node A loses the conversation on node B; sign-out everywhere on A closes her
// socket on B. The times are printed (measured, not asserted). Without Redis an access change that
// cannot be told to the other nodes fails the action instead of leaving their sockets open unsaid.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MessageType } from '../../src/lib/shared/protocol.ts';
import { removeGuest } from '../../src/lib/server/guests/removal.ts';
import { invalidateUserSessions } from '../../src/lib/server/auth/session.ts';
import { applyAccessChange } from '../../src/lib/server/access-change.ts';
import { readConfig } from '../../src/lib/server/config.ts';
import { open, setUp, startRelay, type TestRelay } from '../relay/fixture.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

let redis: TestRedis;
let nodeA: TestRelay;
let nodeB: TestRelay;

beforeAll(async () => {
	redis = await startRedis();
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-access-nodes-'));
	nodeA = await startRelay({ dir, redisUrl: redis.url });
	nodeB = await startRelay({ dir, redisUrl: redis.url });
}, 60_000);

afterAll(async () => {
	await nodeB?.close();
	await nodeA?.close();
	await redis?.stop();
}, 60_000);

describe('access changes of the app across nodes (REDIS_URL set)', () => {
	it('removing a guest on one node cuts her off on another; sign-out everywhere closes her socket there', async () => {
		const s = await setUp(nodeA, { members: ['Alice'], roles: { Alice: 'owner' }, guests: ['Gus', 'Gina'] });
		const gus = await nodeB.connect(s.people.Gus.cookie);
		const gina = await nodeB.connect(s.people.Gina.cookie);
		expect((await open(gus, s.docs.chat)).role).toBe('guest');
		expect((await open(gina, s.docs.chat)).role).toBe('guest');

		const from = gus.frames.length;
		let began = performance.now();
		const removed = await removeGuest(nodeA.database, { actorId: s.people.Alice.id, guestId: s.people.Gus.id, orgId: s.org, conversationId: s.conversation });
		expect(removed.ok).toBe(true);
		await gus.waitFor((f) => f.type === MessageType.Access && f.doc === s.docs.chat && f.role === 'none', 5000, from);
		console.log(`[access-change-nodes] guest removal on node A reached node B in ${(performance.now() - began).toFixed(1)} ms`);
		expect((await open(gus, s.docs.chat)).role).toBe('none');
		// the other guest on that node keeps the conversation
		expect((await open(gina, s.docs.chat)).role).toBe('guest');

		began = performance.now();
		await invalidateUserSessions(nodeA.database.db, s.people.Gina.id);
		await applyAccessChange(nodeA.database, { kind: 'sessions-ended', userId: s.people.Gina.id });
		await gina.closed(5000);
		console.log(`[access-change-nodes] sign-out everywhere on node A closed the socket on node B in ${(performance.now() - began).toFixed(1)} ms`);
		expect(gus.closeCode).toBeNull();
	});

	it('a REDIS_URL that is not a redis:// URL is refused at start, with the value named', () => {
		expect(() => readConfig({ REDIS_URL: 'localhost:6379' })).toThrow(/REDIS_URL must be a redis:\/\/ URL, got localhost:6379/);
		expect(() => readConfig({ REDIS_URL: 'http://127.0.0.1:6379' })).toThrow(/REDIS_URL/);
		expect(readConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).redisUrl).toBe('redis://127.0.0.1:6379');
		expect(readConfig({}).redisUrl).toBeNull();
	});

	it('the embedded default opens no bus', async () => {
		const single = await startRelay();
		try {
			expect(single.database.accessBus).toBeNull();
		} finally {
			await single.close();
		}
	});

	it('with Redis gone, an access change is applied on this node and the action fails instead of passing in silence', async () => {
		const s = await setUp(nodeA, { members: ['Alice'], roles: { Alice: 'owner' }, guests: ['Gus'] });
		const here = await nodeA.connect(s.people.Gus.cookie);
		expect((await open(here, s.docs.chat)).role).toBe('guest');
		await redis.stop();
		await expect(applyAccessChange(nodeA.database, { kind: 'sessions-ended', userId: s.people.Gus.id })).rejects.toThrow();
		// its own sockets were re-decided first
		await here.closed(5000);
	});
});
