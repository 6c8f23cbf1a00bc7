ALTER TABLE "conversations" ADD COLUMN "status" text DEFAULT 'open' NOT NULL;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "snooze_until" bigint;--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "snooze_unless_reply" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "conversations_snooze" ON "conversations" USING btree ("status","snooze_until");