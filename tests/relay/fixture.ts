// The set-up every relay test repeats: an organization, its people, one conversation, connected
// clients. Over the real relay of ../helpers/relay.ts (port 0, a real database file, real sockets).
//
//   const relay = await startRelay();                       // once per file (or per test, for limits)
//   const s = await setUp(relay, { members: ['Alice', 'Bob'], guests: ['Gus'] });
//   s.org, s.conversation                                   // ids
//   s.docs.chat                                             // 'c/<conversation>/chat' (also thread, tasks, internal)
//   s.people.Alice                                          // { id, cookie, sessionId }
//   const alice = await s.connect('Alice');                 // a RawClient for that person
//   await open(alice, s.docs.chat);                         // sync step 1; resolves with { role, state }
//
// Names are display names and keys of `people`; each call makes new users, so tests sharing one
// relay do not see each other's data. Members join with role 'member' unless `roles` says otherwise.
import { ConversationLane, conversationDoc } from '../../src/lib/shared/doc-names.ts';
import type { OrgRole } from '../../src/lib/shared/policy.ts';
import type { RawClient, TestRelay } from '../helpers/relay.ts';

export { startRelay, RawClient, type TestRelay } from '../helpers/relay.ts';
export { open, write, sleep, until, serverView, syncFramesFor, type AccessFrame, type AckFrame, type NackFrame, type ErrorFrame } from '../helpers/sync-ops.ts';

export interface Person {
	id: string;
	cookie: string;
	sessionId: string;
}

export interface SetUpOptions {
	/** Members of the organization, by name (default: ['Alice']). */
	members?: string[];
	/** Guests of the conversation, by name (not members of the organization). */
	guests?: string[];
	/** Organization roles other than 'member', by name. */
	roles?: Record<string, OrgRole>;
	/** Passed to addConversation. */
	conversation?: Parameters<TestRelay['addConversation']>[1];
	/** Organization name (default 'Acme'). */
	orgName?: string;
}

export interface Setting {
	org: string;
	conversation: string;
	docs: { thread: string; chat: string; tasks: string; internal: string };
	people: Record<string, Person>;
	/** Connects a new raw client as that person. */
	connect(name: string): Promise<RawClient>;
}

export async function setUp(relay: TestRelay, options: SetUpOptions = {}): Promise<Setting> {
	const { members = ['Alice'], guests = [], roles = {}, orgName = 'Acme' } = options;
	const org = await relay.addOrg(orgName);
	const people: Record<string, Person> = {};
	for (const name of [...members, ...guests]) {
		if (people[name]) throw new Error(`setUp: ${name} named twice`);
		people[name] = await relay.addUser(name);
	}
	for (const name of members) await relay.addMember(org, people[name].id, roles[name] ?? 'member');
	const conversation = await relay.addConversation(org, options.conversation);
	for (const name of guests) await relay.addGuest(conversation, people[name].id);
	const docs = {
		thread: conversationDoc(conversation, ConversationLane.Thread),
		chat: conversationDoc(conversation, ConversationLane.Chat),
		tasks: conversationDoc(conversation, ConversationLane.Tasks),
		internal: conversationDoc(conversation, ConversationLane.Internal)
	};
	return {
		org,
		conversation,
		docs,
		people,
		connect(name) {
			const person = people[name];
			if (!person) throw new Error(`setUp: no one named ${name}`);
			return relay.connect(person.cookie);
		}
	};
}
