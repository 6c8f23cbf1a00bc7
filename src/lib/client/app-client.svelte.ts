// The tab's connection to its replica (DESIGN.md §6): one SyncProvider per tab, created by the
// (app) layout in the browser only, plus the user's own documents (inbox index, private records)
// that every list reads. A module singleton so the shell (rendered above the (app) layout) sees it.
import { SyncProvider } from '$lib/sync/provider.ts';
import { createIndexedDbStore } from '$lib/sync/indexeddb-store.ts';
import { RecordMap } from '$lib/sync/records.svelte.ts';
import { SyncStatus } from '$lib/sync/sync-status.svelte.ts';
import { conversationDoc, orgDoc, parseDocName, userDoc } from '$lib/shared/doc-names.ts';
import type { AppliedLabel, Assignee, InboxEntry, PersonalLabel, ReadMarker, Draft } from '$lib/shared/records.ts';

/** The sidebar's folders. */
export const Folder = { Inbox: 'inbox', Assigned: 'assigned', Unassigned: 'unassigned', Snoozed: 'snoozed', Closed: 'closed', Sent: 'sent', Channels: 'channels', Shared: 'shared' } as const;
export type Folder = (typeof Folder)[keyof typeof Folder];
/** What each folder is called in the menu, the list's title and a conversation's Back link. */
export const folderTitles: Record<Folder, string> = { inbox: 'Inbox', assigned: 'Assigned to me', unassigned: 'Unassigned', snoozed: 'Snoozed', closed: 'Closed', sent: 'Sent', channels: 'Channels', shared: 'Shared with you' };

/**
 * Conversation assignees and applied labels, for "Assigned to me", "Unassigned" and the label
 * views: the `internal` document of each conversation where the user is a member. Never opened for
 * a guest entry (the relay would refuse it anyway).
 */
export class AssignedIndex {
	#maps = new Map<string, RecordMap<Assignee>>();
	#labels = new Map<string, RecordMap<AppliedLabel>>();
	#version = $state(0);
	#provider: SyncProvider;

	constructor(provider: SyncProvider) {
		this.#provider = provider;
	}

	/** Opens the internal documents of member entries, closes those no longer listed. */
	sync(entries: InboxEntry[]): void {
		const wanted = new Set(entries.filter((e) => e.role === 'member').map((e) => e.id));
		let changed = false;
		for (const [id, map] of this.#maps) {
			if (wanted.has(id)) continue;
			map.destroy();
			this.#maps.delete(id);
			this.#labels.get(id)?.destroy();
			this.#labels.delete(id);
			changed = true;
		}
		for (const id of wanted) {
			if (this.#maps.has(id)) continue;
			this.#maps.set(id, new RecordMap<Assignee>(this.#provider, conversationDoc(id, 'internal'), 'assignees', 'assignedAt'));
			// the same document (the provider counts references): its applied labels
			this.#labels.set(id, new RecordMap<AppliedLabel>(this.#provider, conversationDoc(id, 'internal'), 'labels', 'appliedAt'));
			changed = true;
		}
		if (changed) this.#version++;
	}

	/** Whether `userId` is assigned the conversation. */
	isAssigned(conversationId: string, userId: string): boolean {
		void this.#version;
		return this.#maps.get(conversationId)?.get(userId) !== undefined;
	}

	/** Whether nobody is assigned the conversation (false while its assignees are unknown: not a member entry). */
	isUnassigned(conversationId: string): boolean {
		void this.#version;
		const map = this.#maps.get(conversationId);
		return map !== undefined && map.all.length === 0;
	}

	/** Whether the label `labelId` is applied to the conversation (false while unknown: not a member entry). */
	hasLabel(conversationId: string, labelId: string): boolean {
		void this.#version;
		return this.#labels.get(conversationId)?.get(labelId) !== undefined;
	}

	destroy(): void {
		for (const map of [...this.#maps.values(), ...this.#labels.values()]) map.destroy();
		this.#maps.clear();
		this.#labels.clear();
	}
}

/**
 * Whether a member is looking at a conversation "as a guest" (its page sets it): the shell then
 * hides member-only navigation too (the label views), so the preview shows what a guest sees.
 */
export const guestPreview = $state({ on: false });

/** How many of the most recent conversations the tab keeps synced in the background. */
const WARM_CONVERSATIONS = 50;

/** The conversations kept warm: the most recent ones, which open offline (replica and page). */
export function warmEntries(entries: InboxEntry[]): InboxEntry[] {
	return [...entries].sort((a, b) => b.lastActivityAt - a.lastActivityAt).slice(0, WARM_CONVERSATIONS);
}

/**
 * Keeps the replica of the most recent conversations current, so they open offline even if never
 * opened in this tab: their lane documents stay open (synced into IndexedDB). Which documents is the
 * grant's business: a guest entry never opens `internal` or the org's labels.
 */
export class ReplicaWarmer {
	#open = new Map<string, { role: InboxEntry['role']; docs: string[] }>();
	#provider: SyncProvider;

	constructor(provider: SyncProvider) {
		this.#provider = provider;
	}

	sync(entries: InboxEntry[]): void {
		const wanted = new Map(warmEntries(entries).map((e) => [e.id, e]));
		for (const [id, { role, docs }] of this.#open) {
			// a role change (member ↔ guest) reopens with the other set of documents
			if (wanted.get(id)?.role === role) continue;
			for (const d of docs) this.#provider.close(d);
			this.#open.delete(id);
		}
		for (const [id, entry] of wanted) {
			if (this.#open.has(id)) continue;
			const docs = [conversationDoc(id, 'thread'), conversationDoc(id, 'chat'), conversationDoc(id, 'tasks')];
			if (entry.role === 'member') docs.push(orgDoc(entry.orgId, 'labels'), conversationDoc(id, 'internal'));
			for (const d of docs) this.#provider.open(d);
			this.#open.set(id, { role: entry.role, docs });
		}
	}

	destroy(): void {
		for (const { docs } of this.#open.values()) for (const d of docs) this.#provider.close(d);
		this.#open.clear();
	}
}

/** The entries of a folder, newest activity first. */
export function folderEntries(client: AppClient, folder: Folder, orgId: string | null): InboxEntry[] {
	const all = [...client.inbox.all].reverse();
	// an entry written before triage existed has no status: it is open
	const open = (e: InboxEntry) => (e.status ?? 'open') === 'open';
	switch (folder) {
		case Folder.Inbox:
			return all.filter((e) => e.role === 'member' && e.orgId === orgId && open(e));
		case Folder.Snoozed:
			return all.filter((e) => e.role === 'member' && e.orgId === orgId && e.status === 'snoozed').sort((a, b) => (a.snoozeUntil ?? 0) - (b.snoozeUntil ?? 0));
		case Folder.Closed:
			return all.filter((e) => e.role === 'member' && e.orgId === orgId && e.status === 'closed');
		case Folder.Sent:
			return all.filter((e) => e.role === 'member' && e.orgId === orgId && e.lastSentAt !== undefined).sort((a, b) => (b.lastSentAt ?? 0) - (a.lastSentAt ?? 0));
		case Folder.Channels:
			return all.filter((e) => e.role === 'member' && e.orgId === orgId && e.kind === 'channel');
		case Folder.Assigned:
			return all.filter((e) => e.role === 'member' && open(e) && client.assigned.isAssigned(e.id, client.userId));
		case Folder.Unassigned:
			return all.filter((e) => e.role === 'member' && e.orgId === orgId && open(e) && client.assigned.isUnassigned(e.id));
		case Folder.Shared:
			return all.filter((e) => e.role === 'guest');
	}
}

/** Reads `?folder=` (default: `home`, the inbox unless told otherwise). */
export function parseFolder(value: string | null, home: Folder = Folder.Inbox): Folder {
	return (Object.values(Folder) as string[]).includes(value ?? '') ? (value as Folder) : home;
}

/** Where `/` leads: the organization's inbox, or for a guest with no organization of her own, what is shared with her. */
export function homeFolder(orgId: string | null): Folder {
	return orgId ? Folder.Inbox : Folder.Shared;
}

/** Everything a signed-in tab shares: the provider, its status, and the user's documents. */
export interface AppClient {
	userId: string;
	provider: SyncProvider;
	status: SyncStatus;
	inbox: RecordMap<InboxEntry>;
	reads: RecordMap<ReadMarker>;
	personalLabels: RecordMap<PersonalLabel>;
	drafts: RecordMap<Draft>;
	assigned: AssignedIndex;
	warmer: ReplicaWarmer;
}

let current = $state.raw<AppClient | null>(null);

/** The tab's client, or null before the (app) layout started it (and always during SSR). */
export function getAppClient(): AppClient | null {
	return current;
}

/** Starts (or returns) the tab's client for `userId`; a different user replaces the previous one. */
export function startAppClient(userId: string): AppClient {
	if (current?.userId === userId) return current;
	stopAppClient();
	const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/sync`;
	const provider = new SyncProvider({ url, store: createIndexedDbStore(`parley-${userId}`) });
	// access to a conversation ended (a guest removed): the pages the service worker kept of it go too,
	// as its replica did, so it no longer opens offline
	provider.on('revoked', ({ doc }) => {
		const ref = parseDocName(doc);
		if (ref?.scope === 'conversation') navigator.serviceWorker?.controller?.postMessage({ forgetPages: `/c/${ref.id}` });
	});
	const inboxDoc = userDoc(userId, 'inbox');
	const privateDoc = userDoc(userId, 'private');
	current = {
		userId,
		provider,
		status: new SyncStatus(provider),
		inbox: new RecordMap<InboxEntry>(provider, inboxDoc, 'conversations', 'lastActivityAt'),
		reads: new RecordMap<ReadMarker>(provider, privateDoc, 'reads', 'conversationId'),
		personalLabels: new RecordMap<PersonalLabel>(provider, privateDoc, 'labels', 'labelId'),
		drafts: new RecordMap<Draft>(provider, privateDoc, 'drafts', 'conversationId'),
		assigned: new AssignedIndex(provider),
		warmer: new ReplicaWarmer(provider)
	};
	return current;
}

/**
 * Closes the tab's client (user change). With `forget` (sign-out), the user's replica is deleted from
 * this browser too: the next person at this computer finds nothing of theirs.
 */
export function stopAppClient(options: { forget?: boolean } = {}): void {
	const c = current;
	if (!c) return;
	current = null;
	c.assigned.destroy();
	c.warmer.destroy();
	for (const m of [c.inbox, c.reads, c.personalLabels, c.drafts]) m.destroy();
	c.status.destroy();
	c.provider.destroy();
	if (options.forget) indexedDB.deleteDatabase(`parley-${c.userId}`);
}

/**
 * One label's view: the open conversations of the organization carrying it, newest activity
 * first. Member entries only (a guest's entries never have their labels opened).
 */
export function labelEntries(client: AppClient, labelId: string, orgId: string | null): InboxEntry[] {
	return [...client.inbox.all].reverse().filter((e) => e.role === 'member' && e.orgId === orgId && (e.status ?? 'open') === 'open' && client.assigned.hasLabel(e.id, labelId));
}

/** Whether a conversation has activity after the user's read marker. */
export function isUnread(client: AppClient, entry: Pick<InboxEntry, 'id' | 'lastActivityAt'>): boolean {
	const read = client.reads.get(entry.id);
	return !read || read.lastReadAt < entry.lastActivityAt;
}
