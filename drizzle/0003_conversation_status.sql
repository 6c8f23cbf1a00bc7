ALTER TABLE `conversations` ADD `status` text DEFAULT 'open' NOT NULL;--> statement-breakpoint
ALTER TABLE `conversations` ADD `snooze_until` integer;--> statement-breakpoint
ALTER TABLE `conversations` ADD `snooze_unless_reply` integer DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX `conversations_snooze` ON `conversations` (`status`,`snooze_until`);