CREATE TABLE `contacts` (
	`org_id` text NOT NULL,
	`address` text NOT NULL,
	`name` text NOT NULL,
	`last_seen_at` integer NOT NULL,
	PRIMARY KEY(`org_id`, `address`),
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `contacts_recent` ON `contacts` (`org_id`,`last_seen_at`);--> statement-breakpoint
ALTER TABLE `conversations` ADD `last_sent_at` integer;