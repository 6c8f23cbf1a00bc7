// Writes one relay frame to many WebSockets with the WebSocket framing built once. The relay sends
// the same Uint8Array to every subscriber of a room; `ws.send` would build a header and issue two
// socket writes per recipient. Here the header and payload are joined once per frame (cached by
// the array's identity) and each recipient gets one write of the same buffer.
import * as wsModule from 'ws';
import { WebSocket } from 'ws';

// ws exports its Sender at run time, but its type definitions do not declare it
const { Sender } = wsModule as unknown as {
	Sender: { frame(data: Buffer, options: { fin: boolean; rsv1: boolean; opcode: number; mask: boolean; readOnly: boolean }): Buffer[] };
};

const built = new WeakMap<Uint8Array, Buffer>();

interface WsInternals {
	_socket?: { write(data: Buffer): boolean; destroyed?: boolean };
	_sender?: { _deflating?: boolean; _queue?: unknown[] };
}

function frameOf(data: Uint8Array): Buffer {
	let frame = built.get(data);
	if (!frame) {
		const payload = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
		const parts = Sender.frame(payload, { fin: true, rsv1: false, opcode: 2, mask: false, readOnly: false });
		frame = Buffer.concat(parts);
		built.set(data, frame);
	}
	return frame;
}

/** Sends a binary message, sharing its framed bytes with every other send of the same array. */
export function sendShared(ws: WebSocket, data: Uint8Array): void {
	const internals = ws as unknown as WsInternals;
	const socket = internals._socket;
	const sender = internals._sender;
	// fall back to ws's own path whenever its sender could have frames of its own in flight
	if (ws.readyState !== WebSocket.OPEN || !socket || socket.destroyed || !sender || sender._deflating || (sender._queue?.length ?? 0) > 0) {
		ws.send(data);
		return;
	}
	socket.write(frameOf(data));
}
