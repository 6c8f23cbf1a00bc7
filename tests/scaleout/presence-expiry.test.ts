// A node that dies (SIGKILL) never says its clients left: the presence it relayed must not stay on
// the other nodes for ever, shown to everyone and replayed to every newcomer. Presence from another
// node that is not renewed within remotePresenceTtlMs is dropped and its departure sent to this
// node's sockets; presence that keeps being renewed (clients renew every 15 s) stays.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessageType, writeAwareness } from '../../src/lib/shared/protocol.ts';
import { readAwarenessUpdate, writeAwarenessUpdate } from '../../server/relay/awareness.ts';
import { open, setUp, sleep, startRelay, until, RawClient, type TestRelay } from '../relay/fixture.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { exited, killAll, startRelayProcess } from '../helpers/relay-process.ts';

const TTL_MS = 2000;
let redis: TestRedis;
let dir: string;
let survivor: TestRelay;
let second: TestRelay;

beforeAll(async () => {
	redis = await startRedis();
	dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-presence-expiry-'));
	survivor = await startRelay({ dir, redisUrl: redis.url, keepDir: true, limits: { remotePresenceTtlMs: TTL_MS } });
	second = await startRelay({ dir, redisUrl: redis.url, keepDir: true });
}, 60_000);

afterAll(async () => {
	killAll();
	await second?.close();
	await survivor?.close();
	await redis?.stop();
	if (dir) fs.rmSync(dir, { recursive: true, force: true });
}, 60_000);

/** The presence states (by client id) a client has heard of on a document, latest last. */
function heard(client: RawClient, doc: string): Map<number, string> {
	const states = new Map<number, string>();
	for (const frame of client.frames) {
		if (frame.type !== MessageType.Awareness || frame.doc !== doc) continue;
		for (const entry of readAwarenessUpdate(frame.data) ?? []) states.set(entry.clientId, entry.state);
	}
	return states;
}

const here = (clientId: number, clock: number) => writeAwarenessUpdate([{ clientId, clock, state: JSON.stringify({ viewing: true }) }]);

describe('presence from a node that died', () => {
	it('is dropped on the other nodes once it is not renewed; renewed presence from a live node stays', async () => {
		const s = await setUp(survivor, { members: ['Alice', 'Bob', 'Carol', 'Dave'] });
		const doomed = await startRelayProcess({ databaseUrl: survivor.databaseUrl, redisUrl: redis.url });
		const alice = await RawClient.connect(doomed.wsUrl, { Cookie: s.people.Alice.cookie, Origin: doomed.origin });
		const carol = await second.connect(s.people.Carol.cookie);
		const bob = await survivor.connect(s.people.Bob.cookie);
		for (const client of [alice, carol, bob]) await open(client, s.docs.chat);

		alice.send(writeAwareness(s.docs.chat, here(7001, 1)));
		carol.send(writeAwareness(s.docs.chat, here(7002, 1)));
		await until(() => heard(bob, s.docs.chat).has(7001) && heard(bob, s.docs.chat).has(7002), 'Bob sees Alice and Carol here', 10_000);

		// Carol's client renews as a real one does; Alice's node dies and says nothing more
		let clock = 1;
		const renew = setInterval(() => carol.send(writeAwareness(s.docs.chat, here(7002, ++clock))), TTL_MS / 4);
		try {
			doomed.child.kill('SIGKILL');
			await exited(doomed.child);
			await until(() => heard(bob, s.docs.chat).get(7001) === 'null', "Alice's presence is dropped for Bob", 10 * TTL_MS);
			// a newcomer is not told Alice is here; Carol, renewing on a live node, still is
			await sleep(TTL_MS);
			const dave = await survivor.connect(s.people.Dave.cookie);
			await open(dave, s.docs.chat);
			await until(() => heard(dave, s.docs.chat).has(7002), 'the newcomer sees Carol', 5000);
			expect(heard(dave, s.docs.chat).has(7001)).toBe(false);
			expect(heard(bob, s.docs.chat).get(7002)).not.toBe('null');
		} finally {
			clearInterval(renew);
		}
	}, 60_000);
});
