-- Full-text search (issue 13). One row per searchable record (an email of `thread`, a chat
-- message, a task), keyed by its conversation, lane and record key so a rewrite replaces it.
-- The FTS5 index holds only the text columns and reads them from search_docs (external content),
-- kept in step by the triggers below. Not in schema.ts: drizzle cannot describe FTS5 tables.
CREATE TABLE `search_docs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`conversation_id` text NOT NULL,
	`lane` text NOT NULL,
	`record_key` text NOT NULL,
	`at` integer NOT NULL,
	`has_attachment` integer DEFAULT false NOT NULL,
	`subject` text DEFAULT '' NOT NULL,
	`body` text DEFAULT '' NOT NULL,
	`sender` text DEFAULT '' NOT NULL,
	`recipients` text DEFAULT '' NOT NULL
);--> statement-breakpoint
CREATE UNIQUE INDEX `search_docs_record` ON `search_docs` (`conversation_id`,`lane`,`record_key`);--> statement-breakpoint
CREATE VIRTUAL TABLE `search_fts` USING fts5(subject, body, sender, recipients, content='search_docs', content_rowid='id', tokenize='unicode61 remove_diacritics 2');--> statement-breakpoint
CREATE TRIGGER `search_docs_ai` AFTER INSERT ON `search_docs` BEGIN
	INSERT INTO search_fts(rowid, subject, body, sender, recipients) VALUES (new.id, new.subject, new.body, new.sender, new.recipients);
END;--> statement-breakpoint
CREATE TRIGGER `search_docs_ad` AFTER DELETE ON `search_docs` BEGIN
	INSERT INTO search_fts(search_fts, rowid, subject, body, sender, recipients) VALUES ('delete', old.id, old.subject, old.body, old.sender, old.recipients);
END;--> statement-breakpoint
CREATE TRIGGER `search_docs_au` AFTER UPDATE ON `search_docs` BEGIN
	INSERT INTO search_fts(search_fts, rowid, subject, body, sender, recipients) VALUES ('delete', old.id, old.subject, old.body, old.sender, old.recipients);
	INSERT INTO search_fts(rowid, subject, body, sender, recipients) VALUES (new.id, new.subject, new.body, new.sender, new.recipients);
END;
--> statement-breakpoint
-- Members-only facts for the label:/assignee: filters: ids only (no label names, no text), from
-- the `internal` lane. search.ts reads them only for conversations whose grant reads `internal`.
CREATE TABLE `search_tags` (
	`conversation_id` text NOT NULL,
	`kind` text NOT NULL,
	`value` text NOT NULL,
	PRIMARY KEY(`conversation_id`, `kind`, `value`)
);--> statement-breakpoint
CREATE INDEX `search_tags_value` ON `search_tags` (`kind`,`value`);
--> statement-breakpoint
-- How far each indexed document is indexed: the highest doc_updates id (or snapshot up_to_id) its
-- state held when the indexer last read it. At start, a document whose log went further (a commit
-- the indexer had not reached before a crash) is indexed again (search-indexer.ts catchUp).
CREATE TABLE `search_indexed` (
	`doc` text PRIMARY KEY NOT NULL,
	`up_to_id` integer NOT NULL
);
