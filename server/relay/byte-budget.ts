// Byte budgets for writes: a token bucket in bytes per second with a burst, one per connection and
// one per user (all of a user's sockets share it), with lower figures for a guest's writes. The
// message rate alone let one guest store 10 MiB/s in frames of ~246 KiB.

/** A token bucket counted in bytes. */
export class ByteBucket {
	#tokens: number;
	#last = Date.now();
	readonly rate: number;
	readonly burst: number;

	constructor(rate: number, burst: number) {
		this.rate = rate;
		this.burst = burst;
		this.#tokens = burst;
	}

	/** The bytes available now. */
	available(now = Date.now()): number {
		this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.rate);
		this.#last = now;
		return this.#tokens;
	}

	spend(bytes: number): void {
		this.#tokens -= bytes;
	}

	/** Refilled to its burst: forgetting it changes nothing (the per-user map drops these). */
	full(now = Date.now()): boolean {
		return this.available(now) >= this.burst;
	}
}

/** The rates a write is charged at: a member's or a guest's. */
export interface ByteRates {
	connectionPerSecond: number;
	connectionBurst: number;
	userPerSecond: number;
	userBurst: number;
}

/**
 * Charges `bytes` to both buckets if both have them; a write refused here spends nothing, so
 * nothing about it changes the document or the budget.
 */
export function chargeBoth(connection: ByteBucket, user: ByteBucket, bytes: number): boolean {
	const now = Date.now();
	if (connection.available(now) < bytes || user.available(now) < bytes) return false;
	connection.spend(bytes);
	user.spend(bytes);
	return true;
}

/**
 * Bytes of writes per second and burst, per connection and per user (all their sockets); a
 * write over either is nacked `quota-exceeded` and changes nothing. A guest's writes are held
 * to the guest figures, per connection and per user. Bursts must exceed maxUpdateBytes.
 * Part of RelayLimits.
 */
export interface BudgetLimits {
	writeBytesPerSecond: number;
	writeByteBurst: number;
	userWriteBytesPerSecond: number;
	userWriteByteBurst: number;
	guestWriteBytesPerSecond: number;
	guestWriteByteBurst: number;
}

/** The relay's per-user buckets and the rule for which buckets a write is charged to. */
export class WriteBudgets {
	#limits: BudgetLimits;
	/** By `member:<user>` and `guest:<user>`: shared by all of a user's sockets. */
	#users = new Map<string, ByteBucket>();

	constructor(limits: BudgetLimits) {
		this.#limits = limits;
	}

	/** Charges a write of `bytes` by `userId` on `conn`; false (and nothing spent) when over budget. */
	charge(conn: { writeBytes: { member?: ByteBucket; guest?: ByteBucket } }, userId: string, guest: boolean, bytes: number): boolean {
		const l = this.#limits;
		const kind = guest ? 'guest' : 'member';
		const connection = (conn.writeBytes[kind] ??= guest
			? new ByteBucket(l.guestWriteBytesPerSecond, l.guestWriteByteBurst)
			: new ByteBucket(l.writeBytesPerSecond, l.writeByteBurst));
		const key = `${kind}:${userId}`;
		let user = this.#users.get(key);
		if (!user) {
			user = guest ? new ByteBucket(l.guestWriteBytesPerSecond, l.guestWriteByteBurst) : new ByteBucket(l.userWriteBytesPerSecond, l.userWriteByteBurst);
			this.#users.set(key, user);
		}
		return chargeBoth(connection, user, bytes);
	}

	/** Forgets refilled buckets, so the map holds only users who wrote a lot lately. */
	prune(): void {
		const now = Date.now();
		for (const [key, bucket] of this.#users) if (bucket.full(now)) this.#users.delete(key);
	}
}
