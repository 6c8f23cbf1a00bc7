import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { open, setUp, startRelay, type TestRelay } from './fixture.ts';

// The access matrix: every lane × role × open, over real sockets to a real relay.

let relay: TestRelay;
let orgId: string;
let otherOrgId: string;
let conversationId: string;
let guestsOffConversation: string;
const people: Record<string, { id: string; cookie: string }> = {};

beforeAll(async () => {
	relay = await startRelay();
	// a member of another organization can be a guest here, keeping their own organization
	const s = await setUp(relay, { members: ['owner', 'member'], roles: { owner: 'owner' }, guests: ['guest', 'otherOrgMember'] });
	({ org: orgId, conversation: conversationId } = s);
	Object.assign(people, s.people);
	people.outsider = await relay.addUser('outsider');
	otherOrgId = await relay.addOrg('Northwind');
	await relay.addMember(otherOrgId, people.otherOrgMember.id, 'owner');
	guestsOffConversation = await relay.addConversation(orgId, { guestsAllowed: false });
	await relay.addGuest(guestsOffConversation, people.guest.id);
});
afterAll(() => relay.close());

async function openAs(person: string, doc: string): Promise<string> {
	const client = await relay.connect(people[person].cookie);
	// a granted open is followed by the document's state (open waits for both)
	const { role } = await open(client, doc);
	client.close();
	return role;
}

describe('opening documents', () => {
	const lanes = ['thread', 'chat', 'tasks', 'internal'] as const;
	const expected: Record<string, Record<(typeof lanes)[number], string>> = {
		owner: { thread: 'member', chat: 'member', tasks: 'member', internal: 'member' },
		member: { thread: 'member', chat: 'member', tasks: 'member', internal: 'member' },
		guest: { thread: 'guest', chat: 'guest', tasks: 'guest', internal: 'none' },
		otherOrgMember: { thread: 'guest', chat: 'guest', tasks: 'guest', internal: 'none' },
		outsider: { thread: 'none', chat: 'none', tasks: 'none', internal: 'none' }
	};
	for (const [person, byLane] of Object.entries(expected)) {
		for (const lane of lanes) {
			it(`gives ${person} '${byLane[lane]}' on ${lane}`, async () => {
				expect(await openAs(person, `c/${conversationId}/${lane}`)).toBe(byLane[lane]);
			});
		}
	}

	it('gives a guest nothing where the conversation has guests turned off', async () => {
		expect(await openAs('guest', `c/${guestsOffConversation}/chat`)).toBe('none');
		expect(await openAs('member', `c/${guestsOffConversation}/chat`)).toBe('member');
	});

	it('answers unknown and forbidden documents the same way', async () => {
		expect(await openAs('outsider', `c/nope/chat`)).toBe('none');
		expect(await openAs('outsider', `c/${conversationId}/chat`)).toBe('none');
		expect(await openAs('member', 'not a doc name')).toBe('none');
	});

	it('lets users open only their own user documents', async () => {
		expect(await openAs('member', `u/${people.member.id}/private`)).toBe('owner');
		expect(await openAs('member', `u/${people.member.id}/inbox`)).toBe('owner');
		expect(await openAs('guest', `u/${people.member.id}/private`)).toBe('none');
	});

	it('lets only organization members open label definitions', async () => {
		expect(await openAs('member', `o/${orgId}/labels`)).toBe('member');
		expect(await openAs('guest', `o/${orgId}/labels`)).toBe('none');
		expect(await openAs('otherOrgMember', `o/${orgId}/labels`)).toBe('none');
	});

	it('lets only organization members open its canned responses; a guest of one of its conversations gets none', async () => {
		expect(await openAs('member', `o/${orgId}/canned`)).toBe('member');
		expect(await openAs('guest', `o/${orgId}/canned`)).toBe('none');
		expect(await openAs('otherOrgMember', `o/${orgId}/canned`)).toBe('none');
	});
});

describe('the upgrade', () => {
	it('is refused without a session', async () => {
		await expect(relay.connect('parley_session=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')).rejects.toThrow(/401/);
		await expect(relay.connect('')).rejects.toThrow(/401/);
	});

	it('is refused from a foreign Origin', async () => {
		await expect(relay.connect(people.member.cookie, { origin: 'https://evil.example' })).rejects.toThrow(/403/);
	});

	it('closes a client of another protocol version with a clear code', async () => {
		const client = await relay.connect(people.member.cookie, { version: 999 });
		expect(await client.closed()).toBe(4426);
	});
});
