// One client's socket as the relay sees it: identity, open documents, rate budget.
import type { DocRef } from '../../src/lib/shared/doc-names.ts';
import type { DocAccess } from './access.ts';
import type { ByteBucket } from './byte-budget.ts';

/** The minimal socket the relay needs; the WebSocket endpoint adapts `ws` to it. */
export interface RelaySocket {
	send(data: Uint8Array): void;
	close(code: number, reason: string): void;
	readonly bufferedAmount: number;
}

/** Who is on the other end, from the session that authenticated the upgrade. */
export interface ConnectionIdentity {
	userId: string;
	name: string;
	sessionId: string;
}

export interface Subscription {
	ref: DocRef;
	access: DocAccess;
	/** Frames for this document held back until its step 2 is sent; null once it is open. */
	opening?: Uint8Array[] | null;
}

let nextId = 1;

export class Connection {
	readonly id = nextId++;
	readonly socket: RelaySocket;
	readonly identity: ConnectionIdentity;
	readonly subs = new Map<string, Subscription>();
	/** Frames are handled one after another, in the order they arrived. */
	chain: Promise<void> = Promise.resolve();
	/** Bytes of frames received and not yet handled (bounded by RelayLimits.maxQueuedBytes). */
	queuedBytes = 0;
	closed = false;
	#tokens: number;
	#last = Date.now();
	#rate: number;
	#burst: number;
	violations = 0;
	/** Byte buckets of this connection's writes, as a member and as a guest (see WriteBudgets). */
	readonly writeBytes: { member?: ByteBucket; guest?: ByteBucket } = {};
	/** Bytes handed to the socket so far, and where the latest step 2 lies among them. */
	#sentBytes = 0;
	#openingFrom = 0;
	#openingTo = 0;

	constructor(socket: RelaySocket, identity: ConnectionIdentity, rate: number, burst: number) {
		this.socket = socket;
		this.identity = identity;
		this.#rate = rate;
		this.#burst = burst;
		this.#tokens = burst;
	}

	/** Takes one message from the token bucket; false when over the rate. */
	take(): boolean {
		const now = Date.now();
		this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) / 1000) * this.#rate);
		this.#last = now;
		if (this.#tokens < 1) return false;
		this.#tokens -= 1;
		return true;
	}

	/** Records a frame handed to the socket; `opening` marks a step 2. */
	sent(bytes: number, opening: boolean): void {
		if (opening) {
			// a step 2 right after another still unsent extends it; otherwise it starts a new span
			if (this.#openingTo <= this.#drained()) this.#openingFrom = this.#sentBytes;
			this.#openingTo = this.#sentBytes + bytes;
		}
		this.#sentBytes += bytes;
	}

	/** Unsent bytes, less the unsent part (at most `exempt` bytes) of the latest step 2 span. */
	unsentBeyondOpening(exempt: number): number {
		const unsent = this.socket.bufferedAmount;
		const opening = Math.max(0, this.#openingTo - Math.max(this.#drained(unsent), this.#openingFrom));
		return unsent - Math.min(opening, exempt);
	}

	/** Bytes the socket has passed on: the socket sends in order (framing headers make it a little low). */
	#drained(unsent = this.socket.bufferedAmount): number {
		return this.#sentBytes - unsent;
	}
}
