// The provider's one socket: connecting, jittered exponential backoff, reconnecting at once when
// the browser says the network is back, and giving the socket up when the browser says the network
// is gone or the socket stops answering (a heartbeat). It knows frames only as bytes in and out; what they
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
	/**
	 * After `idleMs` without a frame from the server the connection sends `ping` (a frame the server
	 * answers at once); with no frame at all `timeoutMs` later, the socket counts as dead.
	 */
	heartbeat?: { ping: Uint8Array; idleMs: number; timeoutMs: number };
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
	readonly #heartbeat: ConnectionOptions['heartbeat'];
	#heartbeatTimer: ReturnType<typeof setTimeout> | null = null;
	#socket: SocketLike | null = null;
	#open = false;
	#attempt = 0;
	#reconnectTimer: ReturnType<typeof setTimeout> | null = null;
	/** No more reconnecting: destroyed, signed out, or another protocol version. */
	#halted = false;
	#onBrowserOnline = () => this.reconnectNow();
	// The browser knows the network is gone before a socket does: a socket can stay "open" for minutes
	// with nothing getting through, so it is given up at once and the app says it is offline.
	#onBrowserOffline = () => this.#abandon();

	constructor(options: ConnectionOptions, handlers: ConnectionHandlers) {
		this.#url = options.url;
		this.#clientName = options.clientName;
		this.#createSocket = options.createSocket ?? defaultSocket;
		this.#backoff = options.backoff ?? { baseMs: 250, maxMs: 30_000 };
		this.#handlers = handlers;
		this.#heartbeat = options.heartbeat;
		globalThis.addEventListener?.('online', this.#onBrowserOnline);
		globalThis.addEventListener?.('offline', this.#onBrowserOffline);
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
		if (this.#halted || this.#open) return;
		// an attempt made while the network was down may hang: start a fresh one
		if (this.#socket) this.#abandon();
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
		this.#stopHeartbeat();
		globalThis.removeEventListener?.('online', this.#onBrowserOnline);
		globalThis.removeEventListener?.('offline', this.#onBrowserOffline);
		const s = this.#socket;
		this.#socket = null;
		this.#open = false;
		if (s) {
			s.onopen = s.onmessage = s.onclose = null;
			s.onerror = () => {}; // `ws` reports closing a connecting socket as an error
			s.close(1000, 'Client closed');
		}
	}

	/** Gives up the current socket without waiting for its close handshake (the network is gone). */
	#abandon(): void {
		const s = this.#socket;
		if (!s) return;
		this.#stopHeartbeat();
		const wasOpen = this.#open;
		this.#socket = null;
		this.#open = false;
		s.onopen = s.onmessage = s.onclose = null;
		s.onerror = () => {};
		s.close(4000, 'Network gone');
		if (wasOpen) this.#handlers.closed(4000);
		this.#scheduleReconnect();
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
			this.#armHeartbeat();
			this.#handlers.open();
		};
		socket.onmessage = (ev) => {
			if (this.#socket !== socket) return;
			this.#armHeartbeat(); // anything heard proves the socket alive
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
			this.#stopHeartbeat();
			this.#socket = null;
			this.#open = false;
			this.#handlers.closed(ev.code);
			this.#scheduleReconnect();
		};
	}

	/** Restarts the wait: idle for `idleMs`, then a ping, then `timeoutMs` for any answer. */
	#armHeartbeat(): void {
		const hb = this.#heartbeat;
		if (!hb) return;
		this.#stopHeartbeat();
		this.#heartbeatTimer = setTimeout(() => {
			if (!this.send(hb.ping)) return;
			this.#heartbeatTimer = setTimeout(() => {
				this.#heartbeatTimer = null;
				console.warn(`[sync ${this.#clientName}] no answer for ${hb.timeoutMs} ms: reconnecting`);
				this.#abandon();
			}, hb.timeoutMs);
		}, hb.idleMs);
	}

	#stopHeartbeat(): void {
		if (this.#heartbeatTimer) clearTimeout(this.#heartbeatTimer);
		this.#heartbeatTimer = null;
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
