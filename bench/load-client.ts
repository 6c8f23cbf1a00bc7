// A load generator process (driven by bench/run.ts over IPC). Most clients are minimal: they send
// hand-encoded chat updates and only scan received frames for the bench markers in message texts
// (count + latency); a few "full" clients also decode and apply every update to a real Y.Doc, for
// the latency a real provider sees. Speaks our protocol or the reference's (y-protocols sync).
import WebSocket from 'ws';
import * as Y from 'yjs';
import * as decoding from 'lib0/decoding';
import { MessageType, SyncType, readFrame, writeSyncStep1, writeWrite } from '../src/lib/shared/protocol.ts';
import { encodeChatSet, markerText, nowMs, refSyncStep1, refUpdateFrame, scanMarkers } from './yupdate.ts';

export type Kind = 'ours' | 'ref';
export interface ClientSpec {
	idx: number;
	doc: string;
	userId: string; // ours: the session's user; ref: a label used in keys
	cookie?: string;
	full?: boolean;
}
export interface Histogram {
	/** sparse [bucket(0.1 ms), count] */
	buckets: Array<[number, number]>;
}

const BUCKETS = 50_001; // 0.1 ms buckets up to 5 s
class Hist {
	counts = new Uint32Array(BUCKETS);
	add(ms: number) {
		const b = Math.min(BUCKETS - 1, Math.max(0, Math.round(ms * 10)));
		this.counts[b]++;
	}
	sparse(): Histogram {
		const buckets: Array<[number, number]> = [];
		for (let i = 0; i < BUCKETS; i++) if (this.counts[i]) buckets.push([i, this.counts[i]]);
		return { buckets };
	}
}

class Client {
	ws: WebSocket | null = null;
	clientId = 0;
	clock = 0;
	seq = 0;
	writeId = 0;
	acked = 0;
	echoes = 0;
	markersSeen = 0;
	bytesIn = 0;
	open = false;
	doc: Y.Doc | null = null;
	constructor(
		readonly kind: Kind,
		readonly port: number,
		readonly spec: ClientSpec
	) {}

	connect(): Promise<void> {
		this.clientId = 1 + Math.floor(Math.random() * 0x7ffffffe);
		this.clock = 0;
		this.writeId = 0;
		if (this.spec.full) this.doc = new Y.Doc();
		const url = this.kind === 'ours' ? `ws://127.0.0.1:${this.port}/sync?v=1` : `ws://127.0.0.1:${this.port}/${this.spec.doc}`;
		const headers: Record<string, string> = this.kind === 'ours' ? { Cookie: this.spec.cookie!, Origin: `http://127.0.0.1:${this.port}` } : {};
		const ws = new WebSocket(url, { headers, perMessageDeflate: false });
		this.ws = ws;
		return new Promise((resolve, reject) => {
			let synced = false;
			ws.binaryType = 'nodebuffer';
			ws.on('open', () => {
				ws.send(this.kind === 'ours' ? writeSyncStep1(this.spec.doc, new Uint8Array([0])) : refSyncStep1(new Uint8Array([0])));
			});
			ws.on('message', (data: Buffer) => {
				this.bytesIn += data.length;
				if (!synced) {
					if (this.isStep2(data)) {
						synced = true;
						this.open = true;
						this.onSync(data);
						resolve();
					}
					return;
				}
				this.onMessage(data);
			});
			ws.on('close', () => {
				this.open = false;
				if (!synced) reject(new Error('closed before sync'));
			});
			ws.on('error', (error) => {
				if (!synced) reject(error);
			});
		});
	}

	isStep2(data: Buffer): boolean {
		if (this.kind === 'ref') return data[0] === 0 && data[1] === 1;
		const frame = readFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
		return frame?.type === MessageType.Sync && frame.syncType === SyncType.Step2;
	}

	/** The update inside a sync frame (full clients only decode). */
	updateOf(data: Buffer): Uint8Array | null {
		const d = decoding.createDecoder(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
		if (decoding.readVarUint(d) !== 0) return null;
		if (this.kind === 'ours') decoding.readVarString(d);
		const syncType = decoding.readVarUint(d);
		if (syncType === 0) return null;
		return decoding.readVarUint8Array(d);
	}

	onSync(data: Buffer) {
		if (this.doc) {
			const update = this.updateOf(data);
			if (update) Y.applyUpdate(this.doc, update);
		}
		this.markersSeen += scanMarkers(data, () => {});
	}

	onMessage(data: Buffer) {
		const type = data[0];
		if (type === 3 && this.kind === 'ours') {
			this.acked++;
			return;
		}
		if (type === 4 && this.kind === 'ours') {
			// a refused write: a limit (not the server's speed) stopped it; the bench reports it
			state.nacks++;
			return;
		}
		if (type !== 0) return;
		if (this.doc) {
			const update = this.updateOf(data);
			if (update) Y.applyUpdate(this.doc, update);
		}
		const now = nowMs();
		this.markersSeen += scanMarkers(data, (sender, sentAt) => {
			if (sender === this.spec.idx) {
				this.echoes++;
				return;
			}
			if (sentAt >= state.t0 && sentAt < state.t1) {
				state.delivered++;
				state.hist.add(now - sentAt);
				if (this.doc) state.fullHist.add(now - sentAt);
			}
			state.lastRecv = now;
		});
	}

	post(): boolean {
		if (!this.open || !this.ws) return false;
		const sentAt = nowMs();
		const n = this.seq++;
		// keys unique across reconnects and runs on the same document
		const record = { id: `${this.spec.userId}:${this.clientId.toString(36)}-${n}`, authorId: this.spec.userId, text: markerText(this.spec.idx, sentAt), mentions: [], createdAt: Math.floor(sentAt) };
		const update = encodeChatSet(this.clientId, this.clock++, record);
		this.ws.send(this.kind === 'ours' ? writeWrite(this.spec.doc, ++this.writeId, update) : refUpdateFrame(update));
		if (sentAt >= state.t0 && sentAt < state.t1) state.sent++;
		state.sentAll++;
		return true;
	}
}

const state = { t0: Infinity, t1: -Infinity, sent: 0, sentAll: 0, nacks: 0, delivered: 0, lastRecv: 0, hist: new Hist(), fullHist: new Hist() };
let clients: Client[] = [];
let kind: Kind = 'ours';
let port = 0;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function connectAll(list: Client[]) {
	// a few at a time: the servers see a realistic trickle, not 1000 simultaneous handshakes
	for (let i = 0; i < list.length; i += 50) await Promise.all(list.slice(i, i + 50).map((c) => c.connect()));
}

type Command =
	| { cmd: 'connect'; kind: Kind; port: number; clients: ClientSpec[] }
	| { cmd: 'ensure' }
	| { cmd: 'run'; rate: number; start: number; t0: number; t1: number; grace: number }
	| { cmd: 'post'; perClient: number }
	| { cmd: 'idle' }
	| { cmd: 'close' }
	| { cmd: 'coldOpen'; kind: Kind; port: number; doc: string; cookie?: string; expect: number };

async function handle(msg: Command): Promise<unknown> {
	switch (msg.cmd) {
		case 'connect': {
			kind = msg.kind;
			port = msg.port;
			const added = msg.clients.map((spec) => new Client(kind, port, spec));
			clients.push(...added);
			await connectAll(added);
			return { connected: clients.length };
		}
		case 'ensure': {
			const closed = clients.filter((c) => !c.open);
			await connectAll(closed);
			return { reconnected: closed.length };
		}
		case 'run': {
			// each step counts only messages sent in [t0, t1); sending starts earlier as a warm-up
			Object.assign(state, { t0: msg.t0, t1: msg.t1, sent: 0, sentAll: 0, nacks: 0, delivered: 0, hist: new Hist(), fullHist: new Hist() });
			const perProcess = msg.rate * clients.length;
			while (nowMs() < msg.start) await sleep(1);
			let last = nowMs();
			let acc = Math.random();
			let rr = Math.floor(Math.random() * clients.length);
			await new Promise<void>((resolve) => {
				const timer = setInterval(() => {
					const now = nowMs();
					if (now >= msg.t1) {
						clearInterval(timer);
						resolve();
						return;
					}
					acc += ((now - last) / 1000) * perProcess;
					last = now;
					// round-robin over this process's clients: an even offered rate
					for (; acc >= 1; acc--) clients[rr++ % clients.length].post();
				}, 1);
			});
			await sleep(msg.grace);
			return {
				sent: state.sent,
				sentAll: state.sentAll,
				nacks: state.nacks,
				delivered: state.delivered,
				hist: state.hist.sparse(),
				fullHist: state.fullHist.sparse(),
				dropped: clients.filter((c) => !c.open).length
			};
		}
		case 'post': {
			// content for the memory and cold-open scenarios: every client posts, then waits until
			// the server has it (ours: acknowledged = committed; reference: echoed back, then settled)
			Object.assign(state, { t0: Infinity, t1: -Infinity });
			for (const c of clients) {
				c.acked = 0;
				c.echoes = 0;
			}
			for (let i = 0; i < msg.perClient; i++) {
				for (const c of clients) c.post();
				if (i % 100 === 99) await sleep(5);
			}
			const deadline = Date.now() + 60_000;
			const done = (c: Client) => (kind === 'ours' ? c.acked : c.echoes) >= msg.perClient;
			while (!clients.every(done) && Date.now() < deadline) await sleep(20);
			return { complete: clients.every(done) };
		}
		case 'idle': {
			// quiet when nothing has arrived for 300 ms (a backlog from an overloaded step drained)
			// (an overloaded step can leave many seconds of backlog; the next step must not measure it)
			const deadline = Date.now() + 30_000;
			while (nowMs() - state.lastRecv < 300 && Date.now() < deadline) await sleep(50);
			return { idle: true };
		}
		case 'coldOpen': {
			// time from starting the connection until every expected message has arrived (whatever
			// frames carry it), and the bytes received until then
			const started = nowMs();
			const probe = new Client(msg.kind, msg.port, { idx: -1, doc: msg.doc, userId: 'probe', cookie: msg.cookie });
			const seen = () => probe.markersSeen;
			await probe.connect();
			const deadline = Date.now() + 20_000;
			while (seen() < msg.expect && Date.now() < deadline) await sleep(1);
			const ms = nowMs() - started;
			const result = { ms, bytes: probe.bytesIn, messages: seen() };
			probe.ws?.terminate();
			return result;
		}
		case 'close': {
			for (const c of clients) c.ws?.terminate();
			clients = [];
			return { closed: true };
		}
	}
}

process.on('message', (raw: { id: number; msg: Command }) => {
	handle(raw.msg).then(
		(result) => process.send!({ id: raw.id, result }),
		(error) => process.send!({ id: raw.id, error: String(error?.stack ?? error) })
	);
});
process.on('disconnect', () => process.exit(0));
