// The running app's shape, apart from createApp (app.ts) that builds it: the modules the app is made
// of take `App` from here, so app.ts can import them without an import cycle (npm run check:deps).
import type { Relay } from '../../../server/relay/relay.ts';
import type { AccessBus } from '../../../server/scaleout/access-bus.ts';
import type { Config } from './config.ts';
import type { Database } from './db/index.ts';
import type { Limiters } from './rate-limit.ts';

/** Debounced activity per conversation id, held by the app (one timer per conversation; conversations.ts). */
export type PendingTouches = Map<string, { timer: NodeJS.Timeout; first: number; waiters: Array<() => void>; run: () => Promise<void> }>;

/** One activity notification waiting to go out (chat-activity.ts). */
export interface Activity {
	actorId: string;
	text: string;
	skip: string[];
}
/** Activity waiting per conversation id, held by the app. */
export type ActivityQueues = Map<string, Activity[]>;

/** The batch mailer's state; the app holds one (notifications.ts). */
export interface Mailer {
	timer: NodeJS.Timeout | null;
	running: boolean;
	again: boolean;
}

/** Each organization's member ids with their inbox document names, read at most every few seconds (conversations.ts). */
export type OrgInboxes = Map<string, { at: number; inboxes: Array<[userId: string, inboxDoc: string]> }>;

/** Each conversation's assignee ids, read from its internal document (notifications.ts `readAssignees`). */
export type AssigneeCache = Map<string, { at: number; ids: Set<string> }>;

/** Users' display names for activity text, read at most once a minute (chat-activity.ts). */
export type NameCache = Map<string, { at: number; name: string }>;

/** The wake-up scheduler's state; the app holds one (conversation-status.ts). */
export interface Waker {
	timer: NodeJS.Timeout | null;
	running: boolean;
	again: boolean;
	stopped: boolean;
}

/** The search indexer (search-indexer.ts): commits mark documents dirty, reconciled off the write path. */
export interface SearchIndexer {
	/** A document was committed: index it at the next pass (cheap; called on the commit path). */
	mark(doc: string): void;
	/** Resolves once every document marked so far is indexed. */
	flush(): Promise<void>;
	/** At start: reindexes documents stored further than the index got (a crash) or never indexed; how many. */
	catchUp(): Promise<number>;
	/** Flushes, then ignores further marks (shutdown). */
	stop(): Promise<void>;
}

/**
 * The running app. It is a `Database` too (db, client, url), so code that only reads and writes rows
 * takes it as one; code that also edits documents, times activity or sends mail takes the App.
 */
export interface App extends Database {
	readonly config: Config;
	/** The relay: the only writer of documents. The socket adapter (server/sync-endpoint.ts) feeds it connections. */
	readonly relay: Relay;
	/** Debounced inbox activity per conversation (conversations.ts `touchConversation`). */
	readonly touches: PendingTouches;
	/** Members per organization for live inbox pushes (conversations.ts `writeActivity`). */
	readonly orgInboxes: OrgInboxes;
	/** Assignees per conversation, dropped when its internal document takes a write (notifications.ts). */
	readonly assignees: AssigneeCache;
	/** Display names of chat authors (chat-activity.ts). */
	readonly names: NameCache;
	/** Activity notifications waiting per conversation (chat-activity.ts). */
	readonly activityQueues: ActivityQueues;
	/** The notification email batcher (notifications.ts). */
	readonly mailer: Mailer;
	/** The snooze wake-up scheduler (conversation-status.ts). */
	readonly waker: Waker;
	readonly limiters: Limiters;
	/** With REDIS_URL: carries access changes to the other nodes' sockets (access-change.ts); null on one process. */
	readonly accessBus: AccessBus | null;
	/** With REDIS_URL: one PING over the bus's connection, for /healthz (health.ts); null on one process. */
	readonly redisPing: (() => Promise<void>) | null;
	/** Keeps the full-text index in step with committed updates (search-index.ts). */
	readonly searchIndex: SearchIndexer;
	/** Stops timers, closes the relay (which stores pending activity first) and the database. */
	close(): Promise<void>;
}
