// What /healthz answers, for a load balancer: `ok` when this node reaches everything it depends on,
// `degraded` (503) when it cannot reach the database or, with REDIS_URL, Redis — then it should get
// no new clients. Each probe is bounded: a hung dependency must not hang the health check. Nothing
// is cached, so a node reports `ok` again by itself as soon as its dependencies return.
import type { App } from './app-types.ts';
import { withTimeout } from './timeout.ts';

export type ProbeState = 'ok' | 'down' | 'off';

export interface Health {
	status: 'ok' | 'degraded';
	database: ProbeState;
	/** `off`: no REDIS_URL, one process. */
	redis: ProbeState;
}

const PROBE_TIMEOUT_MS = 2000;

/** Probes the database and Redis now. */
export async function checkHealth(app: App, timeoutMs = PROBE_TIMEOUT_MS): Promise<Health> {
	const [database, redis] = await Promise.all([
		probe(() => app.client.execute('SELECT 1'), timeoutMs),
		app.redisPing ? probe(app.redisPing, timeoutMs) : Promise.resolve<ProbeState>('off')
	]);
	return { status: database === 'down' || redis === 'down' ? 'degraded' : 'ok', database, redis };
}

async function probe(run: () => Promise<unknown>, timeoutMs: number): Promise<ProbeState> {
	return withTimeout(run(), timeoutMs).then(
		() => 'ok' as const,
		() => 'down' as const
	);
}
