// Every change of access is applied to open sockets AND to inboxes (access-change.ts), whichever
// function made it. Each case is seen as the person would: over her own open socket to a real relay
// (port 0, a real database file) — a conversation's documents cut off or not, and her live inbox
// list (the u/<id>/inbox document as her socket receives it) losing or gaining the conversation.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { eq } from 'drizzle-orm';
import { users } from '../src/lib/server/db/schema.ts';
import type { SessionUser } from '../src/lib/server/auth/session.ts';
import { acceptGuestInvitation, createGuestAccount } from '../src/lib/server/guests/acceptance.ts';
import { inviteGuest } from '../src/lib/server/guests/invitations.ts';
import { removeGuest } from '../src/lib/server/guests/removal.ts';
import { setConversationGuestsAllowed, updateOrgGuestSettings } from '../src/lib/server/guests/settings.ts';
import { syncInbox } from '../src/lib/server/conversations.ts';
import { MessageType, SyncType } from '../src/lib/shared/protocol.ts';
import { conversationDoc, userDoc } from '../src/lib/shared/doc-names.ts';
import { startRelay, type RawClient, type TestRelay } from './helpers/relay.ts';
import { open, until } from './helpers/sync-ops.ts';

let relay: TestRelay;
let acme: string, lamp: string;
let alice: { id: string; cookie: string };
let gina: { id: string; cookie: string; email: string };

beforeEach(async () => {
	relay = await startRelay();
	acme = await relay.addOrg('Acme');
	alice = await relay.addUser('Alice');
	await relay.addMember(acme, alice.id, 'owner');
	lamp = await relay.addConversation(acme, { subject: 'Broken lamp' });
	const g = await relay.addUser('Gina');
	const [row] = await relay.database.db.select({ email: users.email }).from(users).where(eq(users.id, g.id));
	gina = { ...g, email: row.email };
});
afterEach(() => relay.close());

/** The person's inbox as her open socket shows it: the ids of the conversations listed, kept live. */
async function liveInbox(client: RawClient, userId: string): Promise<() => string[]> {
	const doc = userDoc(userId, 'inbox');
	const from = client.frames.length;
	const { role, state } = await open(client, doc);
	if (role === 'none' || !state) throw new Error('inbox could not be opened');
	const ydoc = new Y.Doc();
	Y.applyUpdate(ydoc, state);
	let seen = from;
	return () => {
		for (const f of client.frames.slice(seen)) {
			if (f.type === MessageType.Sync && f.doc === doc && f.syncType === SyncType.Update) Y.applyUpdate(ydoc, f.data);
		}
		seen = client.frames.length;
		return [...ydoc.getMap('conversations').keys()];
	};
}

const cutOff = (client: RawClient, doc: string, from: number) =>
	client.waitFor((f) => f.type === MessageType.Access && f.doc === doc && f.role === 'none', 5000, from);

async function joinAsGuest(): Promise<void> {
	const invited = await inviteGuest(relay.database, { inviterId: alice.id, conversationId: lamp, email: gina.email });
	if (!invited.ok) throw new Error(invited.message);
	const session: SessionUser = { id: gina.id, email: gina.email, name: 'Gina' };
	const accepted = await acceptGuestInvitation(relay.database, invited.token, session);
	if (!accepted.ok) throw new Error(accepted.message);
}

/** Gina, a guest of lamp, with the chat open and her inbox listing lamp. */
async function openAsGuest(): Promise<{ client: RawClient; inbox: () => string[]; chat: string }> {
	await joinAsGuest();
	const client = await relay.connect(gina.cookie);
	const chat = conversationDoc(lamp, 'chat');
	expect((await open(client, chat)).role).toBe('guest');
	const inbox = await liveInbox(client, gina.id);
	expect(inbox()).toEqual([lamp]);
	return { client, inbox, chat };
}

describe('an access change reaches the open socket and the inbox', () => {
	it('accepting a guest invitation: the conversation appears in her open inbox', async () => {
		const client = await relay.connect(gina.cookie);
		await syncInbox(relay.database, gina.id);
		const inbox = await liveInbox(client, gina.id);
		expect(inbox()).toEqual([]);
		await joinAsGuest();
		await until(() => inbox().includes(lamp), 'her inbox lists the conversation');
		expect((await open(client, conversationDoc(lamp, 'chat'))).role).toBe('guest');
	});

	it('removing a guest: her open chat is cut off and her inbox loses the conversation', async () => {
		const { client, inbox, chat } = await openAsGuest();
		const from = client.frames.length;
		const removed = await removeGuest(relay.database, { actorId: alice.id, guestId: gina.id, orgId: acme, conversationId: lamp });
		expect(removed.ok).toBe(true);
		await cutOff(client, chat, from);
		await until(() => inbox().length === 0, 'her inbox no longer lists it');
	});

	it('guests off for the conversation: cut off and gone from her inbox; on again: back in her inbox', async () => {
		const { client, inbox, chat } = await openAsGuest();
		const from = client.frames.length;
		expect(await setConversationGuestsAllowed(relay.database, alice.id, lamp, false)).toEqual({ ok: true });
		await cutOff(client, chat, from);
		await until(() => inbox().length === 0, 'her inbox no longer lists it');
		expect(await setConversationGuestsAllowed(relay.database, alice.id, lamp, true)).toEqual({ ok: true });
		await until(() => inbox().includes(lamp), 'her inbox lists it again');
	});

	it('guests off for the organization: cut off and gone from her inbox', async () => {
		const { client, inbox, chat } = await openAsGuest();
		const from = client.frames.length;
		const settings = { guestsAllowed: false, whoMayInvite: 'members', guestsPerInviter: 5, conversationsPerGuest: 5 } as const;
		expect(await updateOrgGuestSettings(relay.database, alice.id, acme, settings)).toEqual({ ok: true });
		await cutOff(client, chat, from);
		await until(() => inbox().length === 0, 'her inbox no longer lists it');
	});

	it('an unverified account taken back through a guest link: the squatter’s open socket is closed', async () => {
		const squatter = await relay.addUser('Squatter');
		await relay.database.db.update(users).set({ email: 'victim@example.com', emailVerifiedAt: null }).where(eq(users.id, squatter.id));
		const client = await relay.connect(squatter.cookie);
		await liveInbox(client, squatter.id);
		const created = await createGuestAccount(relay.database, { email: 'victim@example.com', name: 'Victim', password: 'a long enough password' });
		expect(created.ok).toBe(true);
		expect(await client.closed()).not.toBe(1000);
	});
});
