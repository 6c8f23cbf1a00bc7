// The PostgreSQL twin of schema.ts (drizzle has no schema shared across dialects). Same tables,
// columns, keys and indexes; tests/scaleout/schema-parity.test.ts fails when the two drift.
// Differences are only in types: timestamps and Yjs client ids are bigint (milliseconds and
// uint32 do not fit int4), booleans are boolean, blobs are bytea, autoincrement is an identity.
import { pgTable, text, integer, bigint, boolean, customType, primaryKey, index, uniqueIndex } from 'drizzle-orm/pg-core';

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

// Timestamps are milliseconds since the epoch, stored as bigint.

export const users = pgTable('users', {
	id: text('id').primaryKey(),
	email: text('email').notNull().unique(), // always lower-cased
	name: text('name').notNull(),
	passwordHash: text('password_hash'),
	// set when the person proved they read mail at this address (email link, invitation)
	emailVerifiedAt: bigint('email_verified_at', { mode: 'number' }),
	createdAt: bigint('created_at', { mode: 'number' }).notNull()
});

export const organizations = pgTable('organizations', {
	id: text('id').primaryKey(),
	name: text('name').notNull(),
	// the inbox address mail for this organization arrives at, e.g. acme@parley.localhost
	inboxAddress: text('inbox_address').unique(),
	guestsAllowed: boolean('guests_allowed').notNull().default(true),
	whoMayInvite: text('who_may_invite', { enum: ['members', 'admins'] }).notNull().default('members'),
	guestsPerInviter: integer('guests_per_inviter').notNull().default(5),
	conversationsPerGuest: integer('conversations_per_guest').notNull().default(5),
	// SHA-256 of the secret that authenticates this organization's inbound-mail webhook
	inboundSecretHash: text('inbound_secret_hash'),
	createdAt: bigint('created_at', { mode: 'number' }).notNull()
});

export const memberships = pgTable(
	'memberships',
	{
		orgId: text('org_id').notNull().references(() => organizations.id, { onDelete: 'cascade' }),
		userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
		role: text('role', { enum: ['owner', 'admin', 'member'] }).notNull(),
		createdAt: bigint('created_at', { mode: 'number' }).notNull()
	},
	(t) => [primaryKey({ columns: [t.orgId, t.userId] }), index('memberships_user').on(t.userId)]
);

export const sessions = pgTable(
	'sessions',
	{
		// SHA-256 of the token, hex; the token itself is never stored
		id: text('id').primaryKey(),
		userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
		expiresAt: bigint('expires_at', { mode: 'number' }).notNull(),
		currentOrgId: text('current_org_id'),
		createdAt: bigint('created_at', { mode: 'number' }).notNull()
	},
	(t) => [index('sessions_user').on(t.userId)]
);

/** Single-use tokens for sign-in links; only the hash is stored. */
export const signInTokens = pgTable('sign_in_tokens', {
	id: text('id').primaryKey(), // SHA-256 of the token, hex
	email: text('email').notNull(),
	userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
	expiresAt: bigint('expires_at', { mode: 'number' }).notNull(),
	consumedAt: bigint('consumed_at', { mode: 'number' }),
	createdAt: bigint('created_at', { mode: 'number' }).notNull()
});

export const conversations = pgTable(
	'conversations',
	{
		id: text('id').primaryKey(),
		orgId: text('org_id').notNull().references(() => organizations.id, { onDelete: 'cascade' }),
		subject: text('subject').notNull(),
		kind: text('kind', { enum: ['email', 'channel'] }).notNull(),
		guestsAllowed: boolean('guests_allowed').notNull().default(true),
		createdBy: text('created_by'),
		createdAt: bigint('created_at', { mode: 'number' }).notNull(),
		lastActivityAt: bigint('last_activity_at', { mode: 'number' }).notNull(),
		// the latest line of chat or mail, shown in inbox lists (never internal data)
		snippet: text('snippet').notNull().default(''),
		// triage (see schema.ts)
		status: text('status', { enum: ['open', 'closed', 'snoozed'] }).notNull().default('open'),
		snoozeUntil: bigint('snooze_until', { mode: 'number' }),
		snoozeUnlessReply: boolean('snooze_unless_reply').notNull().default(false),
		// when the team last sent an email in it (the Sent view); null: never
		lastSentAt: bigint('last_sent_at', { mode: 'number' })
	},
	(t) => [index('conversations_org').on(t.orgId, t.lastActivityAt), index('conversations_snooze').on(t.status, t.snoozeUntil)]
);

export const conversationParticipants = pgTable(
	'conversation_participants',
	{
		conversationId: text('conversation_id').notNull().references(() => conversations.id, { onDelete: 'cascade' }),
		userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
		role: text('role', { enum: ['member', 'guest'] }).notNull(),
		invitedBy: text('invited_by'),
		addedAt: bigint('added_at', { mode: 'number' }).notNull()
	},
	(t) => [primaryKey({ columns: [t.conversationId, t.userId] }), index('participants_user').on(t.userId)]
);

/** Invitations by email link: to an organization (kind member) or to one conversation (kind guest). */
export const invitations = pgTable(
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
		expiresAt: bigint('expires_at', { mode: 'number' }).notNull(),
		acceptedAt: bigint('accepted_at', { mode: 'number' }),
		acceptedBy: text('accepted_by'),
		revokedAt: bigint('revoked_at', { mode: 'number' }),
		createdAt: bigint('created_at', { mode: 'number' }).notNull()
	},
	(t) => [index('invitations_email').on(t.email)]
);

/** Label definitions: organization labels (ownerUserId null) and personal labels. */
export const labels = pgTable(
	'labels',
	{
		id: text('id').primaryKey(),
		orgId: text('org_id').notNull().references(() => organizations.id, { onDelete: 'cascade' }),
		ownerUserId: text('owner_user_id'),
		name: text('name').notNull(),
		color: text('color').notNull(),
		createdAt: bigint('created_at', { mode: 'number' }).notNull()
	},
	(t) => [index('labels_org').on(t.orgId)]
);

/** Every email Parley sends; with no SMTP configured this is the local outbox shown at /dev/mail. */
export const mailOutbox = pgTable('mail_outbox', {
	id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
	to: text('to').notNull(),
	subject: text('subject').notNull(),
	text: text('text').notNull(),
	html: text('html'),
	headers: text('headers'), // JSON
	status: text('status', { enum: ['outbox', 'sent', 'failed'] }).notNull(),
	error: text('error'),
	createdAt: bigint('created_at', { mode: 'number' }).notNull()
});

/** Append-only log of accepted CRDT updates, per document. */
export const docUpdates = pgTable(
	'doc_updates',
	{
		id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
		doc: text('doc').notNull(),
		update: bytea('update').notNull(),
		userId: text('user_id'),
		createdAt: bigint('created_at', { mode: 'number' }).notNull()
	},
	(t) => [index('doc_updates_doc').on(t.doc, t.id)]
);

/** Compacted state per document: every update with id <= upToId merged into one. */
export const docSnapshots = pgTable('doc_snapshots', {
	doc: text('doc').primaryKey(),
	state: bytea('state').notNull(),
	upToId: bigint('up_to_id', { mode: 'number' }).notNull(),
	updatedAt: bigint('updated_at', { mode: 'number' }).notNull()
});

/** A Yjs client id is bound to the first user that wrote with it, per document. */
export const docClients = pgTable(
	'doc_clients',
	{
		doc: text('doc').notNull(),
		clientId: bigint('client_id', { mode: 'number' }).notNull(),
		userId: text('user_id').notNull()
	},
	(t) => [primaryKey({ columns: [t.doc, t.clientId] })]
);


/** External email messages of conversations, for threading by Message-ID / In-Reply-To / References. */
export const mailMessages = pgTable(
	'mail_messages',
	{
		id: text('id').primaryKey(), // the record id in the conversation's thread document
		orgId: text('org_id').notNull().references(() => organizations.id, { onDelete: 'cascade' }),
		conversationId: text('conversation_id').notNull().references(() => conversations.id, { onDelete: 'cascade' }),
		messageId: text('message_id').notNull(), // the RFC 5322 Message-ID, with angle brackets
		inReplyTo: text('in_reply_to'),
		references: text('references'), // space-separated Message-IDs
		direction: text('direction', { enum: ['in', 'out'] }).notNull(),
		createdAt: bigint('created_at', { mode: 'number' }).notNull()
	},
	(t) => [uniqueIndex('mail_messages_org_message_id').on(t.orgId, t.messageId), index('mail_messages_conversation').on(t.conversationId)]
);

/** People an organization has exchanged email with: the compose form's address suggestions. */
export const contacts = pgTable(
	'contacts',
	{
		orgId: text('org_id').notNull().references(() => organizations.id, { onDelete: 'cascade' }),
		address: text('address').notNull(), // lower case
		name: text('name').notNull(),
		lastSeenAt: bigint('last_seen_at', { mode: 'number' }).notNull()
	},
	(t) => [primaryKey({ columns: [t.orgId, t.address] }), index('contacts_recent').on(t.orgId, t.lastSeenAt)]
);

/** Attachments of external messages; downloadable by the conversation's participants, guests included. */
export const attachments = pgTable(
	'attachments',
	{
		id: text('id').primaryKey(),
		conversationId: text('conversation_id').notNull().references(() => conversations.id, { onDelete: 'cascade' }),
		mailMessageId: text('mail_message_id').notNull(),
		filename: text('filename').notNull(),
		contentType: text('content_type').notNull(),
		size: integer('size').notNull(),
		data: bytea('data').notNull(),
		createdAt: bigint('created_at', { mode: 'number' }).notNull()
	},
	(t) => [index('attachments_conversation').on(t.conversationId)]
);

/** Replies to external messages, keyed by a client-chosen id so a reply queued offline is sent once. */
export const outgoingReplies = pgTable('outgoing_replies', {
	id: text('id').primaryKey(),
	conversationId: text('conversation_id').notNull().references(() => conversations.id, { onDelete: 'cascade' }),
	userId: text('user_id').notNull(),
	/** 'interrupted': the server stopped while sending; whether it went out is unknown, so it is never resent by itself. */
	status: text('status', { enum: ['sending', 'sent', 'failed', 'interrupted'] }).notNull(),
	error: text('error'),
	createdAt: bigint('created_at', { mode: 'number' }).notNull()
});

/** Notification level per user: conversationId '' is the user's default. */
export const notificationSettings = pgTable(
	'notification_settings',
	{
		userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
		conversationId: text('conversation_id').notNull(),
		level: text('level', { enum: ['all', 'mentions', 'none'] }).notNull()
	},
	(t) => [primaryKey({ columns: [t.userId, t.conversationId] })]
);

/** The in-app notification list; email notifications are batched from it per conversation. */
export const notifications = pgTable(
	'notifications',
	{
		id: text('id').primaryKey(),
		userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
		conversationId: text('conversation_id').notNull().references(() => conversations.id, { onDelete: 'cascade' }),
		kind: text('kind', { enum: ['mention', 'activity', 'assigned', 'invited'] }).notNull(),
		actorId: text('actor_id'),
		text: text('text').notNull(),
		createdAt: bigint('created_at', { mode: 'number' }).notNull(),
		readAt: bigint('read_at', { mode: 'number' }),
		emailedAt: bigint('emailed_at', { mode: 'number' })
	},
	(t) => [index('notifications_user').on(t.userId, t.createdAt), index('notifications_pending_email').on(t.emailedAt)]
);

// ---- PostgreSQL only: several nodes (docs/ARCHITECTURE.md, "Several nodes") ----

/** The fencing token of each document's owner node: only the holder of the latest token may append. */
export const docOwners = pgTable('doc_owners', {
	doc: text('doc').primaryKey(),
	token: bigint('token', { mode: 'number' }).notNull(),
	nodeId: text('node_id').notNull(),
	claimedAt: bigint('claimed_at', { mode: 'number' }).notNull()
});
