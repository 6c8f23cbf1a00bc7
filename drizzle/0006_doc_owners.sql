CREATE TABLE `doc_owners` (
	`doc` text PRIMARY KEY NOT NULL,
	`token` integer NOT NULL,
	`node_id` text NOT NULL,
	`claimed_at` integer NOT NULL
);
