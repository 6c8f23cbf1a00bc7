// The /sync WebSocket endpoint: authenticates the upgrade (session cookie, Origin, protocol
// version) before any WebSocket exists, then hands the socket to the relay.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { SESSION_COOKIE, readCookie, validateSessionToken } from '../src/lib/server/auth/session.ts';
import type { App } from '../src/lib/server/app.ts';
import { CloseCode, PROTOCOL_VERSION } from '../src/lib/shared/protocol.ts';
import type { Relay } from './relay/relay.ts';
import { sendShared } from './ws-frames.ts';

export interface SyncEndpoint {
	relay: Relay;
	handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
	close(): Promise<void>;
}

export interface SyncEndpointOptions {
	/** Allowed Origin; by default the configured ORIGIN, else the request's own host. */
	origin?: string | null;
}

function refuse(socket: Duplex, status: number, message: string): void {
	socket.write(`HTTP/1.1 ${status} ${message}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`);
	socket.destroy();
}

/** Whether the Origin header names this site (cross-site pages must not open sockets with our cookie). */
export function isAllowedOrigin(req: IncomingMessage, configured: string | null): boolean {
	const origin = req.headers.origin;
	if (!origin) return false;
	if (configured) return origin === configured;
	const host = req.headers.host;
	if (!host) return false;
	const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
	const proto = (req.headers['x-forwarded-proto'] as string | undefined)?.split(',')[0].trim() ?? (encrypted ? 'https' : 'http');
	return origin === `${proto}://${host}`;
}

/**
 * `ws` enforces maxPayload itself, from the frame header before the payload is buffered, and
 * closes with 1009 (its only use of that code here: permessage-deflate is off). The protocol
 * promises 4413 FrameTooLarge for that (docs/PROTOCOL.md), so this socket class says it instead.
 */
class SyncSocket extends WebSocket {
	override close(code?: number, reason?: string | Buffer): void {
		if (code === 1009) return super.close(CloseCode.FrameTooLarge.code, CloseCode.FrameTooLarge.reason);
		super.close(code, reason);
	}
}

/** The socket adapter in front of the app's relay. Closing it closes the relay (which stores pending activity first). */
export function createSyncEndpoint(app: App, options: SyncEndpointOptions = {}): SyncEndpoint {
	const { db, relay } = app;
	const origin = options.origin === undefined ? app.config.origin : options.origin;
	const wss = new WebSocketServer({
		noServer: true,
		maxPayload: relay.limits.maxFrameBytes,
		perMessageDeflate: false,
		WebSocket: SyncSocket
	});

	function attach(ws: WebSocket, identity: { userId: string; name: string; sessionId: string }) {
		ws.binaryType = 'nodebuffer';
		const conn = relay.handleSocketConnect(
			{
				send: (data) => sendShared(ws, data),
				close: (code, reason) => ws.close(code, reason),
				get bufferedAmount() {
					return ws.bufferedAmount;
				}
			},
			identity
		);
		ws.on('message', (data, isBinary) => {
			if (!isBinary) return relay.handleSocketMessage(conn, data.toString());
			const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
			relay.handleSocketMessage(conn, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
		});
		ws.on('close', () => relay.handleSocketClose(conn));
		ws.on('error', () => relay.handleSocketClose(conn));
	}

	const endpoint: SyncEndpoint = {
		relay,
		handleUpgrade(req, socket, head) {
			void (async () => {
				if (!isAllowedOrigin(req, origin)) return refuse(socket, 403, 'Forbidden origin');
				const token = readCookie(req.headers.cookie, SESSION_COOKIE);
				const valid = token ? await validateSessionToken(db, token) : null;
				if (!valid) return refuse(socket, 401, 'Sign in first');
				const version = new URL(req.url ?? '/', 'http://x').searchParams.get('v');
				wss.handleUpgrade(req, socket, head, (ws) => {
					if (version !== String(PROTOCOL_VERSION)) {
						ws.close(CloseCode.VersionMismatch.code, CloseCode.VersionMismatch.reason);
						return;
					}
					attach(ws, { userId: valid.user.id, name: valid.user.name, sessionId: valid.session.id });
				});
			})().catch(() => refuse(socket, 500, 'Server error'));
		},
		async close() {
			await relay.close();
			wss.close();
		}
	};
	return endpoint;
}
