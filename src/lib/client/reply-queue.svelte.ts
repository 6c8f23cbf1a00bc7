// Replies to external messages written offline wait here (localStorage) with the id the client gave
// them, and are posted when the network returns. The server sends each id once, so posting the
// same reply again after a lost answer is safe.
import { browser } from '$app/environment';

/** A reply waiting to be posted. */
export interface QueuedReply {
	id: string;
	userId: string;
	conversationId: string;
	replyTo: string;
	mode: 'reply' | 'replyAll';
	text: string;
	quote: boolean;
	/** The recipients as edited in the composer (absent in replies queued before To/Cc were editable). */
	to?: string;
	cc?: string;
	createdAt: number;
	/** The last refusal or failure, shown under the message. */
	error?: string;
}

const STORAGE_KEY = 'parley.outgoing-replies';
const RETRY_MS = 30_000;

/** The queue of unsent replies of this browser; one per tab, persisted across reloads. */
export class ReplyQueue {
	#items = $state<QueuedReply[]>([]);
	#flushing = false;
	#timer: ReturnType<typeof setInterval> | null = null;

	constructor() {
		if (!browser) return;
		try {
			const stored = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '[]');
			if (Array.isArray(stored)) this.#items = stored as QueuedReply[];
		} catch {
			this.#items = [];
		}
		addEventListener('online', () => void this.flush());
		// another tab queued or sent something
		addEventListener('storage', (e) => {
			if (e.key === STORAGE_KEY) this.#items = JSON.parse(e.newValue ?? '[]') as QueuedReply[];
		});
		this.#timer = setInterval(() => {
			if (this.#items.some((r) => !r.error)) void this.flush();
		}, RETRY_MS);
	}

	get items(): QueuedReply[] {
		return this.#items;
	}

	/** The waiting replies to one message. */
	forMessage(conversationId: string, messageId: string): QueuedReply[] {
		return this.#items.filter((r) => r.conversationId === conversationId && r.replyTo === messageId);
	}

	#save(): void {
		localStorage.setItem(STORAGE_KEY, JSON.stringify(this.#items));
	}

	/** Queues a reply and tries to post it at once. */
	enqueue(reply: QueuedReply): Promise<void> {
		this.#items = [...this.#items, reply];
		this.#save();
		return this.flush(reply.userId);
	}

	/** Drops a reply the server refused, after the user read why. */
	discard(id: string): void {
		this.#items = this.#items.filter((r) => r.id !== id);
		this.#save();
	}

	#recheck: ReturnType<typeof setTimeout> | null = null;

	#checkAgainSoon(): void {
		this.#recheck ??= setTimeout(() => {
			this.#recheck = null;
			void this.flush();
		}, 20_000);
	}

	/** Posts every waiting reply of `userId` (by default: of whoever is signed in, as the server will check). */
	async flush(userId?: string): Promise<void> {
		if (this.#flushing || (typeof navigator !== 'undefined' && !navigator.onLine)) return;
		this.#flushing = true;
		try {
			for (const reply of [...this.#items]) {
				if (userId && reply.userId !== userId) continue;
				let response: Response;
				try {
					response = await fetch(`/c/${encodeURIComponent(reply.conversationId)}/reply`, {
						method: 'POST',
						headers: { 'content-type': 'application/json', accept: 'application/json' },
						body: JSON.stringify({ id: reply.id, replyTo: reply.replyTo, mode: reply.mode, text: reply.text, quote: reply.quote, to: reply.to, cc: reply.cc })
					});
				} catch {
					return; // offline again: keep everything, try on the next 'online'
				}
				if (response.status === 202) {
					// another request is sending it right now (another tab, an earlier post): keep it until
					// the server says it went out, or that the attempt was cut off; dropping it here would
					// lose the text if that attempt never finishes
					this.#items = this.#items.map((r) => (r.id === reply.id ? { ...r, error: 'Being sent…' } : r));
					this.#save();
					this.#checkAgainSoon();
					continue;
				}
				if (response.ok) {
					this.discard(reply.id);
					continue;
				}
				const body = (await response.json().catch(() => ({}))) as { message?: string };
				const message = body.message ?? `The reply could not be sent (${response.status}).`;
				// 5xx: not sent, try again later; 4xx: refused, keep it visible with the reason
				this.#items = this.#items.map((r) => (r.id === reply.id ? { ...r, error: response.status >= 500 ? `${message} Will retry.` : message } : r));
				this.#save();
			}
		} finally {
			this.#flushing = false;
		}
	}
}

let queue: ReplyQueue | null = null;

/** The browser's reply queue (created on first use). */
export function getReplyQueue(): ReplyQueue {
	return (queue ??= new ReplyQueue());
}
