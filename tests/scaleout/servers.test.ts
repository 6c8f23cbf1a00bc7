// The test servers themselves: a real redis-server and a real PostgreSQL come up on free ports,
// answer, and are gone (process and temp dir) after stop — so every later multi-node test stands
// on servers it owns.
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';

function alive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

describe('test servers', () => {
	let redis: TestRedis | null = null;
	let pg: TestPostgres | null = null;
	afterAll(async () => {
		await redis?.stop();
		await pg?.stop();
	});

	it('redis-server answers, loses its data on restart, and is gone after stop', async () => {
		redis = await startRedis();
		const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
		client.on('error', () => {}); // reconnects by itself after the restart
		await client.set('k', 'v');
		expect(await client.get('k')).toBe('v');
		const firstPid = redis.pid();
		await redis.restart();
		expect(redis.pid()).not.toBe(firstPid);
		expect(alive(firstPid)).toBe(false);
		// ioredis reconnects by itself; the restarted server is empty (no persistence)
		expect(await client.get('k')).toBeNull();
		client.disconnect();
		const pid = redis.pid();
		await redis.stop();
		redis = null;
		expect(alive(pid)).toBe(false);
	});

	it('PostgreSQL 15 runs as an unprivileged user, answers, and is gone after stop', async () => {
		pg = await startPostgres();
		const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
		const [row] = await sql`SELECT current_setting('server_version_num')::int AS v, current_user AS u`;
		expect(row.v).toBeGreaterThanOrEqual(150000);
		expect(row.u).toBe('parley');
		await sql`CREATE TABLE t (x int)`;
		await sql`INSERT INTO t VALUES (1), (2)`;
		expect((await sql`SELECT sum(x)::int AS s FROM t`)[0].s).toBe(3);
		await sql.end();
		const pid = pg.pid;
		await pg.stop();
		pg = null;
		expect(alive(pid)).toBe(false);
	}, 60_000);
});
