// The provider's one socket: connecting, jittered exponential backoff, and reconnecting at once
// when the browser says the network is back. It knows frames only as bytes in and out; what they
// mean is the provider's business.

/** The part of a WebSocket the provider uses (the browser's, or `ws` in Node). */
export interface SocketLike {
	binaryType: string;
	readonly readyState: number;
	send(data: Uint8Array): void;
	close(code?: number, reason?: string): void;
	onopen: ((ev: unknown) => void) | null;
	onmessage: ((ev: { data: unknown }) => void) | null;
	onclose: ((ev: { code: number; reason?: string }) => void) | null;
	onerror: ((ev: unknown) => void) | null;
}

const OPEN = 1;

export interface ConnectionOptions {
	url: string;
	createSocket?: (url: string) => SocketLike;
	/** Names the client in logs. */
	clientName: string;
	/** Backoff base and cap in ms (tests shorten them). */
	backoff?: { baseMs: number; maxMs: number };
}

export interface ConnectionHandlers {
	open(): void;
	message(bytes: Uint8Array): void;
	/** The socket closed with this code; a reconnect follows unless `halt()` is called here. */
	closed(code: number): void;
}

function toBytes(data: unknown): Uint8Array | null {
	if (data instanceof ArrayBuffer) return new Uint8Array(data);
	if (data instanceof Uint8Array) return data;
	if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
	return null;
}

function defaultSocket(url: string): SocketLike {
	return new WebSocket(url) as unknown as SocketLike;
}

export class Connection {
	readonly #url: string;
	readonly #clientName: string;
	readonly #createSocket: (url: string) => SocketLike;
	readonly #backoff: { baseMs: number; maxMs: number };
	readonly #handlers: ConnectionHandlers;
	#socket: SocketLike | null = null;
	#open = false;
	#attempt = 0;
	#reconnectTimer: ReturnType<typeof setTimeout> | null = null;
	/** No more reconnecting: destroyed, signed out, or another protocol version. */
	#halted = false;
	#onBrowserOnline = () => this.reconnectNow();

	constructor(options: ConnectionOptions, handlers: ConnectionHandlers) {
		this.#url = options.url;
		this.#clientName = options.clientName;
		this.#createSocket = options.createSocket ?? defaultSocket;
		this.#backoff = options.backoff ?? { baseMs: 250, maxMs: 30_000 };
		this.#handlers = handlers;
		globalThis.addEventListener?.('online', this.#onBrowserOnline);
		this.#connect();
	}

	/** The socket is open. */
	get open(): boolean {
		return this.#open;
	}

	/** Sends on the open socket; false when there is none. */
	send(bytes: Uint8Array): boolean {
		const s = this.#socket;
		if (!s || s.readyState !== OPEN) return false;
		s.send(bytes);
		return true;
	}

	/** Skips the backoff wait (the browser came back online, the user pressed retry). */
	reconnectNow(): void {
		if (this.#halted || this.#socket) return;
		if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
		this.#reconnectTimer = null;
		this.#connect();
	}

	/** Drops the socket as a network failure would; a reconnect follows. */
	drop(): void {
		this.#socket?.close(4000, 'Client disconnect');
	}

	/** Stops reconnecting (the socket that just closed stays closed). */
	halt(): void {
		this.#halted = true;
		if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
		this.#reconnectTimer = null;
	}

	/** Closes the socket and stops reconnecting for good. */
	destroy(): void {
		this.halt();
		globalThis.removeEventListener?.('online', this.#onBrowserOnline);
		const s = this.#socket;
		this.#socket = null;
		this.#open = false;
		if (s) {
			s.onopen = s.onmessage = s.onclose = null;
			s.onerror = () => {}; // `ws` reports closing a connecting socket as an error
			s.close(1000, 'Client closed');
		}
	}

	#connect(): void {
		if (this.#halted) return;
		let socket: SocketLike;
		try {
			socket = this.#createSocket(this.#url);
		} catch (err) {
			console.error(`[sync ${this.#clientName}] cannot create socket`, err);
			this.#scheduleReconnect();
			return;
		}
		this.#socket = socket;
		socket.binaryType = 'arraybuffer';
		socket.onopen = () => {
			if (this.#socket !== socket) return;
			this.#open = true;
			this.#attempt = 0;
			this.#handlers.open();
		};
		socket.onmessage = (ev) => {
			if (this.#socket !== socket) return;
			const bytes = toBytes(ev.data);
			if (!bytes) {
				console.warn(`[sync ${this.#clientName}] ignoring a non-binary frame`);
				return;
			}
			this.#handlers.message(bytes);
		};
		socket.onerror = () => {}; // a close event follows; reconnecting is decided there
		socket.onclose = (ev) => {
			if (this.#socket !== socket) return;
			this.#socket = null;
			this.#open = false;
			this.#handlers.closed(ev.code);
			this.#scheduleReconnect();
		};
	}

	#scheduleReconnect(): void {
		if (this.#halted || this.#reconnectTimer) return;
		const { baseMs, maxMs } = this.#backoff;
		const delay = Math.min(maxMs, baseMs * 2 ** this.#attempt) * (0.5 + Math.random()); // ±50 % jitter
		this.#attempt = Math.min(this.#attempt + 1, 30);
		this.#reconnectTimer = setTimeout(() => {
			this.#reconnectTimer = null;
			this.#connect();
		}, delay);
	}
}
