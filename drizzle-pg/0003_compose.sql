CREATE TABLE "contacts" (
	"org_id" text NOT NULL,
	"address" text NOT NULL,
	"name" text NOT NULL,
	"last_seen_at" bigint NOT NULL,
	CONSTRAINT "contacts_org_id_address_pk" PRIMARY KEY("org_id","address")
);
--> statement-breakpoint
ALTER TABLE "conversations" ADD COLUMN "last_sent_at" bigint;--> statement-breakpoint
ALTER TABLE "contacts" ADD CONSTRAINT "contacts_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "contacts_recent" ON "contacts" USING btree ("org_id","last_seen_at");