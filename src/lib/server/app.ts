// The composition root. Everything the running app holds — the database, the relay over it, inbox
// activity, the notification mailer, rate limiters, the configuration — is made here, once, and
// handed to whoever needs it: server/index.ts, the `vite dev` plugin, the hooks (event.locals.app)
// and the test helpers. No other module keeps state that outlives a request.
import { Relay, type RelayLimits } from '../../../server/relay/relay.ts';
import { DocStore } from '../../../server/relay/doc-store.ts';
import { RedisClusterNode, type ClusterNodeOptions } from '../../../server/scaleout/cluster-node.ts';
import { randomUUID } from 'node:crypto';
import type { App } from './app-types.ts';
import { openDatabase } from './db/index.ts';
import { readConfig, type Config } from './config.ts';
import { createLimiters } from './rate-limit.ts';
import { createRedisLimiters } from './rate-limit-redis.ts';
import { handleAcceptedWrite } from './chat-activity.ts';
import { flushActivity } from './conversations.ts';
import { createMailer, stopNotificationEmails } from './notifications.ts';
import { createWaker, stopSnoozeWakeups } from './conversation-status.ts';
import { createRelayAccess } from './relay-access.ts';
import { startAccessBus } from './access-bus-wiring.ts';
import { createIndexer } from './search-indexer.ts';
import { readName } from './chat-activity.ts';

export type { App } from './app-types.ts';

export interface AppOptions {
	limits?: Partial<RelayLimits>;
	log?: (message: string) => void;
	/** With REDIS_URL: lease and forwarding times of this node (tests shorten them). */
	cluster?: Pick<ClusterNodeOptions, 'leaseMs' | 'forwardTimeoutMs' | 'retryForMs'>;
}

/** Opens the database of `config` and builds the app over it. */
export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
	const database = await openDatabase(config.databaseUrl);
	// after a client's write is stored: mentions and notifications (chat-activity.ts)
	const reactions = new Set<Promise<void>>();
	// every committed update (client or server) marks its document for the search index, which
	// re-reads a dirty lane once it is quiet (or every few seconds at most), off the write path (search-indexer.ts)
	const searchIndex = createIndexer(database.client, (doc) => relay.readState(doc), (userId) => readName(app, userId), { log: options.log });
	// with REDIS_URL: several nodes serve the same documents; each has one owner that commits (cluster-node.ts)
	const cluster = config.redisUrl ? new RedisClusterNode({ nodeId: randomUUID(), redisUrl: config.redisUrl, log: options.log, ...options.cluster }) : null;
	const relay = new Relay({
		// the relay imports nothing of the app: it is handed the facts (through policy.ts) and the storage
		access: createRelayAccess(database.client),
		// several nodes: every append and compaction is fenced by this node's claim on the document
		store: (merge) => new DocStore(database.client, merge, cluster ? (doc) => cluster.tokenOf(doc) : undefined),
		cluster: cluster ?? undefined,
		limits: options.limits,
		log: options.log,
		onCommitted: (doc) => searchIndex.mark(doc),
		onAccepted: (doc, update, actorId) => {
			const reaction = handleAcceptedWrite(app, doc, update, actorId).finally(() => reactions.delete(reaction));
			reactions.add(reaction);
		},
		// on shutdown: reactions to the last writes finish, and debounced inbox activity is stored now
		beforeClose: async () => {
			await Promise.allSettled([...reactions]);
			await flushActivity(app);
			// the last commits' marks: indexed now, not left to catchUp at the next start
			await searchIndex.stop();
		}
	});
	// with REDIS_URL: access changes reach the sockets of every node (access-change.ts), and rate limits are shared
	await cluster?.start();
	const bus = config.redisUrl ? await startAccessBus(config.redisUrl, relay, options.log) : null;
	let closing: Promise<void> | null = null;
	const app: App = {
		...database,
		config,
		relay,
		touches: new Map(),
		orgInboxes: new Map(),
		assignees: new Map(),
		names: new Map(),
		activityQueues: new Map(),
		mailer: createMailer(),
		waker: createWaker(),
		// with REDIS_URL every node counts against the same limits (a guesser gains nothing from spreading)
		limiters: bus ? createRedisLimiters(bus.redis, options.log ?? ((m) => console.log(`[rate-limit] ${m}`))) : createLimiters(),
		accessBus: bus?.bus ?? null,
		redisPing: bus?.ping ?? null,
		searchIndex,
		close() {
			closing ??= (async () => {
				await bus?.stop();
				await relay.close();
				stopNotificationEmails(app);
				stopSnoozeWakeups(app);
				database.client.close();
			})();
			return closing;
		}
	};
	return app;
}

/**
 * The process's app, created on first use. The SvelteKit bundle and server/ (run by tsx, or loaded
 * by the `vite dev` plugin) are separate module graphs in one process: this one globalThis slot is
 * what lets them share a single app. Only entry points call it; everything else is handed the app.
 */
export function processApp(config: Config = readConfig()): Promise<App> {
	const g = globalThis as { __parleyApp?: Promise<App> };
	g.__parleyApp ??= createApp(config);
	return g.__parleyApp;
}
