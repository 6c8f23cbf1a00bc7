// What the relay needs from the other nodes when several serve the same documents
// (docs/ARCHITECTURE.md, "Several nodes"). Only the shape lives here; server/scaleout/cluster-node.ts
// builds it over Redis. A relay without one (the embedded default) never calls any of this.
import type { DocStorage } from './doc-store.ts';

/** A client's write carried to the document's owner; `userId` SYSTEM_ACTOR for a server edit. */
export interface ClusterWrite {
	doc: string;
	userId: string;
	/** The writer's display name (a moderator's removal record names her). */
	name?: string;
	update: Uint8Array;
}

export type ClusterVerdict = { kind: 'ack' } | { kind: 'nack'; reason: string; message?: string };

/** What the relay offers the cluster node: the owner's side of a forward, and its rooms. */
export interface ClusterHost {
	/** Validates and commits a write this node owns; resolves after the commit (nack `not-owner` if it does not own it). */
	handleForwarded(write: ClusterWrite): Promise<ClusterVerdict>;
	/** The owner's committed bytes for a room this node follows (a whole state on a refill). */
	applyRemote(doc: string, update: Uint8Array): void;
	/** This node claimed a document it followed: reload it from the store (after the claim) and serve it. */
	promote(doc: string): Promise<void>;
	/** This node lost a document it owned (lease not renewed): follow the new owner from now on. */
	demote(doc: string): void;
	/** Presence entries stamped by another node, for this node's sockets on `doc`. */
	remotePresence(doc: string, node: string, data: Uint8Array): void;
}

export interface ClusterNode {
	readonly nodeId: string;
	/** Called once by the relay's constructor. */
	bind(host: ClusterHost, store: DocStorage): void;
	/** Before a room's first load: takes the document when no node holds it. True when this node owns it. */
	claimOnLoad(doc: string): Promise<boolean>;
	/** After the load: the owner notes where it loaded; a replica starts following the stream. */
	attach(doc: string, owner: boolean): Promise<void>;
	/** The room is unloaded: give the lease up or stop following. */
	detach(doc: string): Promise<void>;
	/** The fencing token this node holds for a document (undefined: not its owner). */
	tokenOf(doc: string): number | undefined;
	/**
	 * Sends a write to the owner and waits for its verdict, retrying through a takeover; `owner`
	 * when this node became the owner meanwhile (the caller handles the write itself).
	 */
	forward(write: ClusterWrite): Promise<ClusterVerdict | { kind: 'owner' }>;
	/** The owner committed `update` as log row `id`: tell the followers. */
	published(doc: string, id: number, update: Uint8Array): void;
	/** Presence accepted from this node's sockets: tell the other nodes. */
	presence(doc: string, data: Uint8Array): void;
	/** Releases every lease, stops following and listening. */
	stop(): Promise<void>;
}
