import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode, writeSyncStep1, writeWrite } from '../../src/lib/shared/protocol.ts';
import { setUp, startRelay, type TestRelay } from './fixture.ts';
import { sleep } from '../helpers/sync-ops.ts';

// Security review: a connection's frames are handled one after another; while one waits (a document
// being opened reads the database), the frames behind it are held in memory. The rate limit counts
// messages, not bytes, so 1000 frames of 1 MB could be queued at once. The bytes a connection may
// have waiting are capped.

let relay: TestRelay | null = null;
afterEach(async () => {
	await relay?.close();
	relay = null;
});

describe('per-connection backlog', () => {
	it('closes a connection that queues far more bytes than it lets the relay handle', async () => {
		relay = await startRelay({ limits: { maxQueuedBytes: 4 * 1024 * 1024 } });
		const s = await setUp(relay, { members: ['Mallory'] });
		const { chat } = s.docs;
		const client = relay.database.client;
		const batch = client.batch.bind(client);
		let release!: () => void;
		const gate = new Promise<void>((resolve) => (release = resolve));
		let armed = true;
		(client as { batch: typeof client.batch }).batch = (async (...args: Parameters<typeof client.batch>) => {
			const result = await batch(...args);
			if (armed) {
				armed = false;
				await gate; // a slow database read holds the connection's frame chain
			}
			return result;
		}) as typeof client.batch;
		try {
			const attacker = await s.connect('Mallory');
			attacker.send(writeSyncStep1(chat, new Uint8Array([0])));
			await sleep(50);
			const junk = new Uint8Array(900 * 1024).fill(7);
			for (let i = 0; i < 20; i++) attacker.send(writeWrite(chat, i + 1, junk));
			expect(await attacker.closed(5000)).toBe(CloseCode.RateLimited.code);
		} finally {
			(client as { batch: typeof client.batch }).batch = batch;
			release();
		}
	});
});
