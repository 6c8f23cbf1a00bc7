import { sqliteTable, text, integer, blob, primaryKey, index, uniqueIndex } from 'drizzle-orm/sqlite-core';

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
	// SHA-256 of the secret that authenticates this organization's inbound-mail webhook
	inboundSecretHash: text('inbound_secret_hash'),
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
		lastActivityAt: integer('last_activity_at').notNull(),
		// the latest line of chat or mail, shown in inbox lists (never internal data)
		snippet: text('snippet').notNull().default(''),
		// triage, team-wide (members only see it): open, closed (Done) or snoozed until snoozeUntil
		status: text('status', { enum: ['open', 'closed', 'snoozed'] }).notNull().default('open'),
		// when a snoozed conversation reopens; the server's scheduler wakes it (see conversation-status.ts)
		snoozeUntil: integer('snooze_until'),
		// a snooze that an inbound message or a reply ends early
		snoozeUnlessReply: integer('snooze_unless_reply', { mode: 'boolean' }).notNull().default(false),
		// when the team last sent an email in it (the Sent view); null: never
		lastSentAt: integer('last_sent_at')
	},
	(t) => [index('conversations_org').on(t.orgId, t.lastActivityAt), index('conversations_snooze').on(t.status, t.snoozeUntil)]
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

/**
 * The fencing token of each document's owner node, for several nodes over one database file
 * (docs/ARCHITECTURE.md, "Several nodes"): only the holder of the latest token may append. Unused
 * by the embedded default.
 */
export const docOwners = sqliteTable('doc_owners', {
	doc: text('doc').primaryKey(),
	token: integer('token').notNull(),
	nodeId: text('node_id').notNull(),
	claimedAt: integer('claimed_at').notNull()
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


/** External email messages of conversations, for threading by Message-ID / In-Reply-To / References. */
export const mailMessages = sqliteTable(
	'mail_messages',
	{
		id: text('id').primaryKey(), // the record id in the conversation's thread document
		orgId: text('org_id').notNull().references(() => organizations.id, { onDelete: 'cascade' }),
		conversationId: text('conversation_id').notNull().references(() => conversations.id, { onDelete: 'cascade' }),
		messageId: text('message_id').notNull(), // the RFC 5322 Message-ID, with angle brackets
		inReplyTo: text('in_reply_to'),
		references: text('references'), // space-separated Message-IDs
		direction: text('direction', { enum: ['in', 'out'] }).notNull(),
		createdAt: integer('created_at').notNull()
	},
	(t) => [uniqueIndex('mail_messages_org_message_id').on(t.orgId, t.messageId), index('mail_messages_conversation').on(t.conversationId)]
);

/** People an organization has exchanged email with: the compose form's address suggestions. */
export const contacts = sqliteTable(
	'contacts',
	{
		orgId: text('org_id').notNull().references(() => organizations.id, { onDelete: 'cascade' }),
		address: text('address').notNull(), // lower case
		name: text('name').notNull(),
		lastSeenAt: integer('last_seen_at').notNull()
	},
	(t) => [primaryKey({ columns: [t.orgId, t.address] }), index('contacts_recent').on(t.orgId, t.lastSeenAt)]
);

/** Attachments of external messages; downloadable by the conversation's participants, guests included. */
export const attachments = sqliteTable(
	'attachments',
	{
		id: text('id').primaryKey(),
		conversationId: text('conversation_id').notNull().references(() => conversations.id, { onDelete: 'cascade' }),
		mailMessageId: text('mail_message_id').notNull(),
		filename: text('filename').notNull(),
		contentType: text('content_type').notNull(),
		size: integer('size').notNull(),
		data: blob('data', { mode: 'buffer' }).notNull(),
		createdAt: integer('created_at').notNull()
	},
	(t) => [index('attachments_conversation').on(t.conversationId)]
);

/** Replies to external messages, keyed by a client-chosen id so a reply queued offline is sent once. */
export const outgoingReplies = sqliteTable('outgoing_replies', {
	id: text('id').primaryKey(),
	conversationId: text('conversation_id').notNull().references(() => conversations.id, { onDelete: 'cascade' }),
	userId: text('user_id').notNull(),
	/** 'interrupted': the server stopped while sending; whether it went out is unknown, so it is never resent by itself. */
	status: text('status', { enum: ['sending', 'sent', 'failed', 'interrupted'] }).notNull(),
	error: text('error'),
	createdAt: integer('created_at').notNull()
});

/** Notification level per user: conversationId '' is the user's default. */
export const notificationSettings = sqliteTable(
	'notification_settings',
	{
		userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
		conversationId: text('conversation_id').notNull(),
		level: text('level', { enum: ['all', 'mentions', 'none'] }).notNull()
	},
	(t) => [primaryKey({ columns: [t.userId, t.conversationId] })]
);

/** The in-app notification list; email notifications are batched from it per conversation. */
export const notifications = sqliteTable(
	'notifications',
	{
		id: text('id').primaryKey(),
		userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
		conversationId: text('conversation_id').notNull().references(() => conversations.id, { onDelete: 'cascade' }),
		kind: text('kind', { enum: ['mention', 'activity', 'assigned', 'invited'] }).notNull(),
		actorId: text('actor_id'),
		text: text('text').notNull(),
		createdAt: integer('created_at').notNull(),
		readAt: integer('read_at'),
		emailedAt: integer('emailed_at')
	},
	(t) => [index('notifications_user').on(t.userId, t.createdAt), index('notifications_pending_email').on(t.emailedAt)]
);
