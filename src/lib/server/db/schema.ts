import { sqliteTable, text, integer, blob, primaryKey, index } from 'drizzle-orm/sqlite-core';

// Timestamps are milliseconds since the epoch, stored as integers.

export const users = sqliteTable('users', {
	id: text('id').primaryKey(),
	email: text('email').notNull().unique(), // always lower-cased
	name: text('name').notNull(),
	passwordHash: text('password_hash'),
	// set when the person proved they read mail at this address (email link, invitation)
	emailVerifiedAt: integer('email_verified_at'),
	createdAt: integer('created_at').notNull()
});

export const organizations = sqliteTable('organizations', {
	id: text('id').primaryKey(),
	name: text('name').notNull(),
	// the inbox address mail for this organization arrives at, e.g. acme@parley.localhost
	inboxAddress: text('inbox_address').unique(),
	guestsAllowed: integer('guests_allowed', { mode: 'boolean' }).notNull().default(true),
	whoMayInvite: text('who_may_invite', { enum: ['members', 'admins'] }).notNull().default('members'),
	guestsPerInviter: integer('guests_per_inviter').notNull().default(5),
	conversationsPerGuest: integer('conversations_per_guest').notNull().default(5),
	createdAt: integer('created_at').notNull()
});

export const memberships = sqliteTable(
	'memberships',
	{
		orgId: text('org_id').notNull().references(() => organizations.id, { onDelete: 'cascade' }),
		userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
		role: text('role', { enum: ['owner', 'admin', 'member'] }).notNull(),
		createdAt: integer('created_at').notNull()
	},
	(t) => [primaryKey({ columns: [t.orgId, t.userId] }), index('memberships_user').on(t.userId)]
);

export const sessions = sqliteTable(
	'sessions',
	{
		// SHA-256 of the token, hex; the token itself is never stored
		id: text('id').primaryKey(),
		userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
		expiresAt: integer('expires_at').notNull(),
		currentOrgId: text('current_org_id'),
		createdAt: integer('created_at').notNull()
	},
	(t) => [index('sessions_user').on(t.userId)]
);

/** Single-use tokens for sign-in links; only the hash is stored. */
export const signInTokens = sqliteTable('sign_in_tokens', {
	id: text('id').primaryKey(), // SHA-256 of the token, hex
	email: text('email').notNull(),
	userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
	expiresAt: integer('expires_at').notNull(),
	consumedAt: integer('consumed_at'),
	createdAt: integer('created_at').notNull()
});

export const conversations = sqliteTable(
	'conversations',
	{
		id: text('id').primaryKey(),
		orgId: text('org_id').notNull().references(() => organizations.id, { onDelete: 'cascade' }),
		subject: text('subject').notNull(),
		kind: text('kind', { enum: ['email', 'channel'] }).notNull(),
		guestsAllowed: integer('guests_allowed', { mode: 'boolean' }).notNull().default(true),
		createdBy: text('created_by'),
		createdAt: integer('created_at').notNull(),
		lastActivityAt: integer('last_activity_at').notNull()
	},
	(t) => [index('conversations_org').on(t.orgId, t.lastActivityAt)]
);

export const conversationParticipants = sqliteTable(
	'conversation_participants',
	{
		conversationId: text('conversation_id').notNull().references(() => conversations.id, { onDelete: 'cascade' }),
		userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
		role: text('role', { enum: ['member', 'guest'] }).notNull(),
		invitedBy: text('invited_by'),
		addedAt: integer('added_at').notNull()
	},
	(t) => [primaryKey({ columns: [t.conversationId, t.userId] }), index('participants_user').on(t.userId)]
);

/** Invitations by email link: to an organization (kind member) or to one conversation (kind guest). */
export const invitations = sqliteTable(
	'invitations',
	{
		id: text('id').primaryKey(),
		tokenHash: text('token_hash').notNull().unique(),
		kind: text('kind', { enum: ['member', 'guest'] }).notNull(),
		orgId: text('org_id').notNull().references(() => organizations.id, { onDelete: 'cascade' }),
		conversationId: text('conversation_id').references(() => conversations.id, { onDelete: 'cascade' }),
		email: text('email').notNull(),
		role: text('role', { enum: ['admin', 'member', 'guest'] }).notNull(),
		invitedBy: text('invited_by').notNull(),
		expiresAt: integer('expires_at').notNull(),
		acceptedAt: integer('accepted_at'),
		acceptedBy: text('accepted_by'),
		revokedAt: integer('revoked_at'),
		createdAt: integer('created_at').notNull()
	},
	(t) => [index('invitations_email').on(t.email)]
);

/** Label definitions: organization labels (ownerUserId null) and personal labels. */
export const labels = sqliteTable(
	'labels',
	{
		id: text('id').primaryKey(),
		orgId: text('org_id').notNull().references(() => organizations.id, { onDelete: 'cascade' }),
		ownerUserId: text('owner_user_id'),
		name: text('name').notNull(),
		color: text('color').notNull(),
		createdAt: integer('created_at').notNull()
	},
	(t) => [index('labels_org').on(t.orgId)]
);

/** Every email Parley sends; with no SMTP configured this is the local outbox shown at /dev/mail. */
export const mailOutbox = sqliteTable('mail_outbox', {
	id: integer('id').primaryKey({ autoIncrement: true }),
	to: text('to').notNull(),
	subject: text('subject').notNull(),
	text: text('text').notNull(),
	html: text('html'),
	headers: text('headers'), // JSON
	status: text('status', { enum: ['outbox', 'sent', 'failed'] }).notNull(),
	error: text('error'),
	createdAt: integer('created_at').notNull()
});

/** Append-only log of accepted CRDT updates, per document. */
export const docUpdates = sqliteTable(
	'doc_updates',
	{
		id: integer('id').primaryKey({ autoIncrement: true }),
		doc: text('doc').notNull(),
		update: blob('update', { mode: 'buffer' }).notNull(),
		userId: text('user_id'),
		createdAt: integer('created_at').notNull()
	},
	(t) => [index('doc_updates_doc').on(t.doc, t.id)]
);

/** Compacted state per document: every update with id <= upToId merged into one. */
export const docSnapshots = sqliteTable('doc_snapshots', {
	doc: text('doc').primaryKey(),
	state: blob('state', { mode: 'buffer' }).notNull(),
	upToId: integer('up_to_id').notNull(),
	updatedAt: integer('updated_at').notNull()
});

/** A Yjs client id is bound to the first user that wrote with it, per document. */
export const docClients = sqliteTable(
	'doc_clients',
	{
		doc: text('doc').notNull(),
		clientId: integer('client_id').notNull(),
		userId: text('user_id').notNull()
	},
	(t) => [primaryKey({ columns: [t.doc, t.clientId] })]
);

