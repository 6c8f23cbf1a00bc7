// The guest switches: an organization's guest settings and one conversation's switch. Turning
// guests off shuts existing guests out at once (applyAccessChange); their rows stay.
import { eq } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import type { App } from '../app.ts';
import { conversations, organizations } from '../db/schema.ts';
import { applyAccessChange } from '../access-change.ts';
import { getRole } from '../orgs.ts';
import { canManageMembers } from '../../shared/policy.ts';
import { GuestMessages, type Refusal } from './messages.ts';
import { readRemoveGrant } from './removal.ts';

/** The guest settings of an organization. */
export interface OrgGuestSettings {
	guestsAllowed: boolean;
	whoMayInvite: 'members' | 'admins';
	guestsPerInviter: number;
	conversationsPerGuest: number;
}

/** Changes an organization's guest settings (owners and admins); turning guests off shuts them out at once. */
export async function updateOrgGuestSettings(
	database: App,
	actorId: string,
	orgId: string,
	settings: OrgGuestSettings
): Promise<{ ok: true } | ({ ok: false } & Refusal)> {
	const { db } = database;
	if (!canManageMembers(await getRole(db, orgId, actorId))) return { ok: false, status: 403, message: GuestMessages.settingsForbidden };
	await db.update(organizations).set(settings).where(eq(organizations.id, orgId));
	await applyAccessChange(database, { kind: 'org-guests', orgId });
	return { ok: true };
}

/** Turns guests on or off for one conversation (members who may manage its guests); existing guests lose or regain access at once. */
export async function setConversationGuestsAllowed(
	database: App,
	actorId: string,
	conversationId: string,
	allowed: boolean
): Promise<{ ok: true } | ({ ok: false } & Refusal)> {
	const { db } = database;
	const grant = await readRemoveGrant(database, actorId, conversationId);
	if (grant.role !== 'member') return { ok: false, status: 404, message: GuestMessages.notFound };
	if (!grant.actions.revokeGuest) return { ok: false, status: 403, message: GuestMessages.forbidden };
	await db.update(conversations).set({ guestsAllowed: allowed }).where(eq(conversations.id, conversationId));
	await applyAccessChange(database, { kind: 'conversation-guests', conversationId });
	return { ok: true };
}

/** Guest settings of an organization, or null when it does not exist. */
export async function readOrgGuestSettings(db: Db, orgId: string): Promise<(OrgGuestSettings & { name: string }) | null> {
	const [row] = await db
		.select({
			name: organizations.name,
			guestsAllowed: organizations.guestsAllowed,
			whoMayInvite: organizations.whoMayInvite,
			guestsPerInviter: organizations.guestsPerInviter,
			conversationsPerGuest: organizations.conversationsPerGuest
		})
		.from(organizations)
		.where(eq(organizations.id, orgId));
	return row ?? null;
}
