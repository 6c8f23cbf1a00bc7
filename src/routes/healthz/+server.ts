import { json } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { checkHealth } from '$lib/server/health.ts';

/** For the load balancer: 200 `ok`, or 503 `degraded` with what this node cannot reach. No session needed, nothing private. */
export const GET: RequestHandler = async ({ locals }) => {
	const health = await checkHealth(locals.app);
	return json(health, { status: health.status === 'ok' ? 200 : 503, headers: { 'cache-control': 'no-store' } });
};
