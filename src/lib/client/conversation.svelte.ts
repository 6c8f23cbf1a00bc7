// The lane documents of one open conversation, as reactive records. Which documents are opened is
// decided by the grant alone: a guest's grant never opens `internal` or `o/<org>/labels`, so a
// guest's page never even asks the relay for them (DESIGN.md §1, §2).
import type { Awareness } from 'y-protocols/awareness';
import { conversationDoc, orgDoc } from '$lib/shared/doc-names.ts';
import type { Grant } from '$lib/shared/policy.ts';
import type { AppliedLabel, Assignee, ChatMessage, HistoryEvent, Label, Task, TaskAssignee, ThreadEvent, ThreadMessage } from '$lib/shared/records.ts';
import type { SyncProvider } from '$lib/sync/provider.ts';
import { RecordMap } from '$lib/sync/records.svelte.ts';

/** Org-only lanes: present only when the grant's role is member. */
export interface MemberLanes {
	internalDoc: string;
	labelsDoc: string;
	applied: RecordMap<AppliedLabel>;
	assignees: RecordMap<Assignee>;
	taskAssignees: RecordMap<TaskAssignee>;
	/** Label, assignment and status changes, for the timeline (members only, like the rest of internal). */
	history: RecordMap<HistoryEvent>;
	labels: RecordMap<Label>;
}

/** Someone else's presence in the conversation (identity stamped by the relay). */
export interface Presence {
	clientId: number;
	user: { id: string; name: string; role: string };
	typing: boolean;
}

/** The open lanes of a conversation for one grant. */
export class ConversationLanes {
	readonly threadDoc: string;
	readonly chatDoc: string;
	readonly tasksDoc: string;
	readonly threadMessages: RecordMap<ThreadMessage>;
	readonly threadEvents: RecordMap<ThreadEvent>;
	readonly chat: RecordMap<ChatMessage>;
	readonly tasks: RecordMap<Task>;
	readonly member: MemberLanes | null;
	#presence = $state.raw<Presence[]>([]);
	#ended = $state(false);
	#offRevoked: () => void;
	#provider: SyncProvider;
	#awareness: Awareness;
	#onPresence = () => this.#readPresence();

	constructor(provider: SyncProvider, conversationId: string, orgId: string, grant: Grant) {
		this.#provider = provider;
		this.threadDoc = conversationDoc(conversationId, 'thread');
		this.chatDoc = conversationDoc(conversationId, 'chat');
		this.tasksDoc = conversationDoc(conversationId, 'tasks');
		this.threadMessages = new RecordMap(provider, this.threadDoc, 'messages', 'sentAt');
		this.threadEvents = new RecordMap(provider, this.threadDoc, 'events', 'at');
		this.chat = new RecordMap(provider, this.chatDoc, 'messages', 'createdAt');
		this.tasks = new RecordMap(provider, this.tasksDoc, 'tasks', 'createdAt');
		if (grant.role === 'member' && grant.lanes.internal.read) {
			const internalDoc = conversationDoc(conversationId, 'internal');
			const labelsDoc = orgDoc(orgId, 'labels');
			// label definitions first: pending writes are resent in the order documents were opened, and an
			// applied label is accepted only when its definition already exists
			const labels = new RecordMap<Label>(provider, labelsDoc, 'labels', 'name');
			this.member = {
				internalDoc,
				labelsDoc,
				applied: new RecordMap(provider, internalDoc, 'labels', 'appliedAt'),
				assignees: new RecordMap(provider, internalDoc, 'assignees', 'assignedAt'),
				taskAssignees: new RecordMap(provider, internalDoc, 'taskAssignees', 'assignedAt'),
				history: new RecordMap(provider, internalDoc, 'history', 'at'),
				labels
			};
		} else {
			this.member = null;
		}
		// the relay answers `access none` for the thread and chat when this user is removed: the
		// replica deletes them, and the page must say so instead of showing an empty conversation
		this.#offRevoked = provider.on('revoked', (e) => {
			if (e.doc === this.threadDoc || e.doc === this.chatDoc) this.#ended = true;
		});
		this.#awareness = provider.awareness(this.chatDoc);
		this.#awareness.setLocalState({ viewing: true, typing: false });
		this.#awareness.on('change', this.#onPresence);
		this.#readPresence();
	}

	/** This user's access to the conversation ended while it was open (removed as a guest, or from the organization). */
	get accessEnded(): boolean {
		return this.#ended;
	}

	/** Other people viewing the conversation now. */
	get presence(): Presence[] {
		return this.#presence;
	}

	/** Tells the others whether this tab is typing. */
	setTyping(typing: boolean): void {
		const state = this.#awareness.getLocalState();
		if (state && state.typing !== typing) this.#awareness.setLocalStateField('typing', typing);
	}

	/** The current Y.Doc of one of this conversation's documents (it is replaced after a refused write). */
	doc(name: string) {
		const d = this.#provider.getDoc(name);
		if (!d) throw new Error(`${name} is not open`);
		return d;
	}

	#readPresence(): void {
		const out: Presence[] = [];
		const seen = new Set<string>();
		for (const [clientId, state] of this.#awareness.getStates()) {
			if (clientId === this.#awareness.clientID) continue;
			const user = state?.user as Presence['user'] | undefined;
			if (!user || typeof user.id !== 'string' || typeof user.name !== 'string') continue;
			const typing = state.typing === true;
			// one entry per person (several tabs): typing in any of them counts
			if (seen.has(user.id)) {
				if (typing) out.forEach((p) => p.user.id === user.id && (p.typing = true));
				continue;
			}
			seen.add(user.id);
			out.push({ clientId, user, typing });
		}
		this.#presence = out;
	}

	destroy(): void {
		this.#offRevoked();
		this.#awareness.off('change', this.#onPresence);
		const maps = [this.threadMessages, this.threadEvents, this.chat, this.tasks];
		if (this.member) maps.push(...([this.member.applied, this.member.assignees, this.member.taskAssignees, this.member.labels] as never[]));
		for (const m of maps) m.destroy();
	}
}
