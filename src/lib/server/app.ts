// The composition root. Everything the running app holds — the database, the relay over it, inbox
// activity, the notification mailer, rate limiters, the configuration — is made here, once, and
// handed to whoever needs it: server/index.ts, the `vite dev` plugin, the hooks (event.locals.app)
// and the test helpers. No other module keeps state that outlives a request.
import type * as Y from 'yjs';
import { Relay, type AccessFilter, type RelayLimits } from '../../../server/relay/relay.ts';
import { openDatabase, type Database } from './db/index.ts';
import { readConfig, type Config } from './config.ts';
import { createLimiters, type Limiters } from './rate-limit.ts';
import { handleAcceptedWrite, type ActivityQueues } from './chat-activity.ts';
import { flushActivity, type PendingTouches } from './conversations.ts';
import { createMailer, stopNotificationEmails, type Mailer } from './notifications.ts';
import { createWaker, stopSnoozeWakeups, type Waker } from './conversation-status.ts';

/** What app code may ask of the relay. */
export interface RelayBridge {
	/** Re-decides access for open subscriptions now (role change, guest revoked, guests off). */
	refreshAccess(filter: AccessFilter): Promise<void>;
	/** Closes the sockets of ended sessions. */
	endSessions(filter: { sessionId?: string; userId?: string }): void;
	/** Applies a server-made change to a document and resolves once it is stored. */
	serverEdit(doc: string, edit: (ydoc: Y.Doc) => void): Promise<void>;
	/** The stored state of a document, as one update. */
	readState(doc: string): Promise<Uint8Array>;
	/** Whether any connection has the document open now. */
	hasSubscribers(doc: string): boolean;
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
	/** Activity notifications waiting per conversation (chat-activity.ts). */
	readonly activityQueues: ActivityQueues;
	/** The notification email batcher (notifications.ts). */
	readonly mailer: Mailer;
	/** The snooze wake-up scheduler (conversation-status.ts). */
	readonly waker: Waker;
	readonly limiters: Limiters;
	/** Stops timers, closes the relay (which stores pending activity first) and the database. */
	close(): Promise<void>;
}

export interface AppOptions {
	limits?: Partial<RelayLimits>;
	log?: (message: string) => void;
}

/** Opens the database of `config` and builds the app over it. */
export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
	const database = await openDatabase(config.databaseUrl);
	// after a client's write is stored: mentions and notifications (chat-activity.ts)
	const reactions = new Set<Promise<void>>();
	const relay = new Relay({
		client: database.client,
		limits: options.limits,
		log: options.log,
		onAccepted: (doc, update, actorId) => {
			const reaction = handleAcceptedWrite(app, doc, update, actorId).finally(() => reactions.delete(reaction));
			reactions.add(reaction);
		},
		// on shutdown: reactions to the last writes finish, and debounced inbox activity is stored now
		beforeClose: async () => {
			await Promise.allSettled([...reactions]);
			await flushActivity(app);
		}
	});
	let closing: Promise<void> | null = null;
	const app: App = {
		...database,
		config,
		relay,
		touches: new Map(),
		activityQueues: new Map(),
		mailer: createMailer(),
		waker: createWaker(),
		limiters: createLimiters(),
		close() {
			closing ??= (async () => {
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
