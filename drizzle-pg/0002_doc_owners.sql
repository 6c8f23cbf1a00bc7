CREATE TABLE "doc_owners" (
	"doc" text PRIMARY KEY NOT NULL,
	"token" bigint NOT NULL,
	"node_id" text NOT NULL,
	"claimed_at" bigint NOT NULL
);
