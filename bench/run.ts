// `npm run bench`: our relay vs the reference Yjs server (@y/websocket-server), same machine, same
// workload, each server in its own process, load generators in their own processes.
// Writes bench/results/<date>.md and bench/results/latest.md and prints the table.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as Y from 'yjs';
import type { ClientSpec, Histogram, Kind } from './load-client.ts';
import { children, killChildren, prepareDatabase, root, startServer, type BenchUser, type ServerProcess } from './servers.ts';
import { encodeChatSet } from './yupdate.ts';
import { summarizeProfile } from './profile.ts';
import { mergeHists, percentile, spread, type Spread } from './histogram.ts';
import { manyConversations, type ManyRun } from './many.ts';
import { benchSearch, searchNotes, searchTableLines } from './search.ts';

const QUICK = process.env.BENCH_QUICK === '1';
const SIZES = (process.env.BENCH_SIZES ?? '10,100,500').split(',').map(Number);
const SCENARIOS = new Set((process.env.BENCH_SCENARIOS ?? 'fanout,many,memory,cold,profile,search').split(','));
/** Fan-out runs per size and server, alternating which server goes first; the median is reported. */
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS) || (QUICK ? 1 : 3));
const STEP_MS = QUICK ? 1500 : 2500;
const WARMUP_MS = 700;
const GRACE_MS = 1000;
const MODERATE_DELIVERIES = 5000; // per second, the same for every size and both servers
const MAX_P99 = 100;
const MIN_DELIVERED = 0.99;

// ---- load generator processes -------------------------------------------------------------------

class Generator {
	child: ChildProcess;
	#next = 1;
	#pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
	constructor(readonly name: string) {
		this.child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'bench/load-client.ts')], {
			cwd: root,
			stdio: ['ignore', 'inherit', 'inherit', 'ipc']
		});
		children.add(this.child);
		this.child.on('message', (m: { id: number; result?: unknown; error?: string }) => {
			const p = this.#pending.get(m.id);
			this.#pending.delete(m.id);
			if (m.error) p?.reject(new Error(`${this.name}: ${m.error}`));
			else p?.resolve(m.result);
		});
	}
	call<T = any>(msg: object): Promise<T> {
		const id = this.#next++;
		return new Promise<T>((resolve, reject) => {
			this.#pending.set(id, { resolve, reject });
			this.child.send({ id, msg });
		});
	}
	stop() {
		this.child.disconnect();
	}
}

// a bench stopped by Ctrl-C or a timeout takes its servers and load generators with it
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
	process.on(signal, () => {
		killChildren();
		process.exit(130);
	});

const load = [new Generator('load-1'), new Generator('load-2')];
const probe = new Generator('probe'); // full Y.Doc clients (latency) and the cold-open client
const all = [...load, probe];
const each = <T = any>(gens: Generator[], msg: object) => Promise.all(gens.map((g) => g.call<T>(msg)));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const wall = () => performance.timeOrigin + performance.now();
const log = (s: string) => console.log(`[bench] ${s}`);

// ---- statistics ---------------------------------------------------------------------------------

interface StepResult {
	offered: number; // deliveries/s offered
	deliveredPerSec: number;
	ratio: number;
	p50: number;
	p99: number;
	fullP50: number;
	fullP99: number;
	pass: boolean;
	dropped: number;
}

// ---- scenario 1: fan-out in one chat document -----------------------------------------------------

function specsFor(kind: Kind, n: number, doc: string, users: BenchUser[]): ClientSpec[][] {
	const full = n <= 10 ? 2 : 3;
	const byGen: ClientSpec[][] = [[], [], []];
	for (let i = 0; i < n; i++) {
		const spec: ClientSpec = { idx: i, doc, userId: kind === 'ours' ? users[i].id : `r${i}`, cookie: users[i]?.cookie, full: i < full };
		byGen[i < full ? 2 : i % 2].push(spec);
	}
	return byGen;
}

async function step(n: number, offered: number): Promise<StepResult> {
	await each(all, { cmd: 'ensure' });
	const rate = offered / (n * (n - 1)); // per client, messages/s
	const start = wall() + 300;
	const t0 = start + WARMUP_MS;
	const t1 = t0 + STEP_MS;
	const out = await each<{ sent: number; delivered: number; hist: Histogram; fullHist: Histogram; dropped: number }>(all, {
		cmd: 'run',
		rate,
		start,
		t0,
		t1,
		grace: GRACE_MS
	});
	await each(all, { cmd: 'idle' });
	const sent = out.reduce((a, o) => a + o.sent, 0);
	const delivered = out.reduce((a, o) => a + o.delivered, 0);
	const hist = mergeHists(out.map((o) => o.hist));
	const fullHist = mergeHists(out.map((o) => o.fullHist));
	const ratio = sent === 0 ? 0 : delivered / (sent * (n - 1));
	const p99 = percentile(hist, 0.99);
	const r: StepResult = {
		offered,
		deliveredPerSec: delivered / (STEP_MS / 1000),
		ratio,
		p50: percentile(hist, 0.5),
		p99,
		fullP50: percentile(fullHist, 0.5),
		fullP99: percentile(fullHist, 0.99),
		pass: ratio >= MIN_DELIVERED && p99 <= MAX_P99,
		dropped: out.reduce((a, o) => a + o.dropped, 0)
	};
	log(
		`  n=${n} offered ${Math.round(offered)}/s → delivered ${Math.round(r.deliveredPerSec)}/s (${(ratio * 100).toFixed(1)}%), p50 ${r.p50} ms, p99 ${r.p99} ms (full clients p50 ${r.fullP50} / p99 ${r.fullP99} ms)${r.dropped ? `, ${r.dropped} dropped` : ''} ${r.pass ? 'PASS' : 'fail'}`
	);
	return r;
}

interface FanoutResult {
	best: StepResult | null;
	moderate: StepResult;
	steps: StepResult[];
}

/** Several runs of one server at one size: the run with the median sustained rate stands for them. */
interface FanoutRuns {
	runs: FanoutResult[];
	median: FanoutResult;
}

function medianRun(runs: FanoutResult[]): FanoutRuns {
	const sorted = [...runs].sort((a, b) => (a.best?.deliveredPerSec ?? 0) - (b.best?.deliveredPerSec ?? 0));
	return { runs, median: sorted[Math.floor((sorted.length - 1) / 2)] };
}

async function fanout(kind: Kind, n: number, server: ServerProcess, doc: string, users: BenchUser[]): Promise<FanoutResult> {
	const specs = specsFor(kind, n, doc, users);
	await Promise.all(all.map((g, i) => (specs[i].length ? g.call({ cmd: 'connect', kind, port: server.port, clients: specs[i] }) : null)));
	const steps: StepResult[] = [];
	// one step not counted first: JIT compilation, the document's first load and the first
	// connections' buffers would otherwise land in the moderate-load latency of whichever server
	await step(n, MODERATE_DELIVERIES);
	const moderate = await step(n, MODERATE_DELIVERIES);
	steps.push(moderate);
	// step the offered rate up (doubling), then bisect between the last pass and the first failure
	let lo = 0;
	let hi = 0;
	let offered = n === 10 ? 2000 : 8000;
	for (let i = 0; i < (QUICK ? 4 : 8); i++) {
		const r = await step(n, offered);
		steps.push(r);
		if (r.pass) {
			lo = offered;
			offered *= 2;
		} else {
			hi = offered;
			break;
		}
	}
	if (lo === 0 && hi > 0) {
		// the first step already failed: halve down
		for (let i = 0; i < 4 && lo === 0; i++) {
			hi = offered;
			offered /= 2;
			const r = await step(n, offered);
			steps.push(r);
			if (r.pass) lo = offered;
		}
	}
	for (let i = 0; i < (QUICK ? 1 : 3) && lo > 0 && hi > 0; i++) {
		const mid = (lo + hi) / 2;
		const r = await step(n, mid);
		steps.push(r);
		if (r.pass) lo = mid;
		else hi = mid;
	}
	await each(all, { cmd: 'close' });
	const passing = steps.filter((s) => s.pass);
	const best = passing.length ? passing.reduce((a, b) => (b.deliveredPerSec > a.deliveredPerSec ? b : a)) : null;
	return { best, moderate, steps };
}

// ---- scenario 2: memory of 1,000 open conversations with 2 clients each -----------------------

interface MemoryResult {
	base: number;
	oneClient: number;
	twoClients: number;
	perConversation: number;
	perDocument: number;
	perConnection: number;
}

const CONVERSATIONS = QUICK ? 200 : 1000;

async function memory(kind: Kind, server: ServerProcess, convs: string[], users: BenchUser[]): Promise<MemoryResult> {
	const docOf = (i: number) => (kind === 'ours' ? `c/${convs[i]}/chat` : `mem-${i}`);
	const side = (user: number, offset: number): ClientSpec[][] => {
		const byGen: ClientSpec[][] = [[], []];
		for (let i = 0; i < CONVERSATIONS; i++)
			byGen[i % 2].push({ idx: offset + i, doc: docOf(i), userId: kind === 'ours' ? users[user].id : `r${user}`, cookie: users[user].cookie });
		return byGen;
	};
	const base = (await server.stats()).heapUsed;
	const a = side(0, 0);
	await Promise.all(load.map((g, i) => g.call({ cmd: 'connect', kind, port: server.port, clients: a[i] })));
	await each(load, { cmd: 'post', perClient: 5 });
	// settle first: work that follows a message (ours: inbox activity, debounced up to 750 ms) must
	// not be counted in one measurement and gone by the next
	await sleep(2000);
	const oneClient = (await server.stats()).heapUsed;
	const b = side(1, CONVERSATIONS);
	await Promise.all(load.map((g, i) => g.call({ cmd: 'connect', kind, port: server.port, clients: b[i] })));
	await sleep(2000);
	const twoClients = (await server.stats()).heapUsed;
	await each(load, { cmd: 'close' });
	const perConnection = (twoClients - oneClient) / CONVERSATIONS;
	const perConversation = (twoClients - base) / CONVERSATIONS;
	const r = { base, oneClient, twoClients, perConversation, perDocument: perConversation - 2 * perConnection, perConnection };
	log(`  ${kind}: ${kb(perConversation)} per conversation with 2 clients, ${kb(r.perDocument)} per document, ${kb(perConnection)} per connection`);
	return r;
}

// ---- scenario 3: cold open of 10,000 chat messages ------------------------------------------

interface ColdResult {
	runs: Array<{ ms: number; bytes: number; messages: number }>;
	ms: number;
	bytes: number;
	messages: number;
}

const COLD_MESSAGES = 10_000;
const COLD_WRITERS = 20;

async function coldOpen(kind: Kind, start: () => Promise<ServerProcess>, doc: string, users: BenchUser[]): Promise<ColdResult> {
	let server = await start();
	const writers: ClientSpec[] = [];
	for (let i = 0; i < COLD_WRITERS; i++) writers.push({ idx: i, doc, userId: kind === 'ours' ? users[i].id : `r${i}`, cookie: users[i].cookie });
	await load[0].call({ cmd: 'connect', kind, port: server.port, clients: writers });
	const posted = await load[0].call<{ complete: boolean }>({ cmd: 'post', perClient: COLD_MESSAGES / COLD_WRITERS });
	if (!posted.complete) log(`  ${kind}: not every message was confirmed`);
	await load[0].call({ cmd: 'close' });
	await sleep(2000); // the reference stores to leveldb asynchronously: let it settle
	await server.stop();
	const runs = [];
	for (let i = 0; i < 3; i++) {
		server = await start();
		await sleep(300);
		const r = await probe.call<{ ms: number; bytes: number; messages: number }>({ cmd: 'coldOpen', kind, port: server.port, doc, cookie: users[0].cookie, expect: COLD_MESSAGES });
		runs.push(r);
		log(`  ${kind} cold open #${i + 1}: ${r.ms.toFixed(1)} ms, ${r.bytes} bytes, ${r.messages} messages`);
		await server.stop();
	}
	const sorted = [...runs].sort((a, b) => a.ms - b.ms);
	const median = sorted[1];
	return { runs, ms: median.ms, bytes: median.bytes, messages: median.messages };
}

// ---- scenario 4: many conversations (bench/many.ts) ---------------------------------------------

const MANY = QUICK ? 200 : 1000;
const MANY_REFERENCE_RATE = 1000;
const MANY_OPTIONS = {
	conversations: MANY,
	firstRate: 250,
	maxRate: 32_000,
	referenceRate: MANY_REFERENCE_RATE,
	stepMs: STEP_MS,
	warmupMs: WARMUP_MS,
	graceMs: GRACE_MS,
	maxP99: MAX_P99,
	minDelivered: MIN_DELIVERED,
	log
};

/** "median [min–max]" of a figure over the runs. */
const fmtSpread = (x: Spread, f: (v: number) => string) => `${f(x.median)} [${f(x.min)}–${f(x.max)}]`;
const fmtRatio = (x: Spread) => fmtSpread(x, (v) => (Number.isFinite(v) ? `${v.toFixed(2)}×` : '—'));

/** Table rows of one fan-out size: every figure as median [min–max] over the runs, ratios per run. */
function fanoutRows(n: number, f: { ours: FanoutRuns; ref: FanoutRuns }): string[] {
	const figure = (label: string, get: (r: FanoutResult) => number, fmt: (v: number) => string, target: string, met: (q: Spread) => boolean | null) => {
		const o = spread(f.ours.runs.map(get));
		const r = spread(f.ref.runs.map(get));
		const q = spread(f.ours.runs.map((run, i) => get(run) / get(f.ref.runs[i])));
		const m = met(q);
		return `| ${label} | ${fmtSpread(o, fmt)} | ${fmtSpread(r, fmt)} | ${fmtRatio(q)} | ${target} | ${m === null ? '' : m ? 'yes' : 'no'} |`;
	};
	const big = n >= 100;
	return [
		figure(`fan-out ${n} clients: sustained deliveries/s (≥99 %, p99 ≤ 100 ms)`, (r) => r.best?.deliveredPerSec ?? 0, num, big ? '≥ 8× median, ≥ 3× every run' : '—', (q) => (big ? q.median >= 8 && q.min >= 3 : null)),
		figure(`fan-out ${n} clients @ ${num(MODERATE_DELIVERIES)} deliveries/s: p99 ms (all clients)`, (r) => r.moderate.p99, ms, '', () => null),
		figure(`fan-out ${n} clients @ ${num(MODERATE_DELIVERIES)} deliveries/s: p99 ms (full Y.Doc clients)`, (r) => r.moderate.fullP99, ms, '', () => null)
	];
}

/** Table rows of the many-conversations scenario: each figure and its ratio per run, min / median / max. */
function manyRows(runs: Array<{ ours: ManyRun; ref: ManyRun }>): string[] {
	const figure = (label: string, get: (r: ManyRun) => number, f: (v: number) => string, target: string, met: (ratio: Spread) => boolean | null) => {
		const o = spread(runs.map((p) => get(p.ours)));
		const r = spread(runs.map((p) => get(p.ref)));
		const q = spread(runs.map((p) => get(p.ours) / get(p.ref)));
		const m = met(q);
		return `| ${label} | ${fmtSpread(o, f)} | ${fmtSpread(r, f)} | ${fmtRatio(q)} | ${target} | ${m === null ? '' : m ? 'yes' : 'no'} |`;
	};
	const at = (get: (s: NonNullable<ManyRun['atReference']>) => number) => (r: ManyRun) => (r.atReference ? get(r.atReference) : NaN);
	const label = `${num(MANY)} conversations × 2 clients`;
	return [
		figure(`${label}: server CPU per message @ ${num(MANY_REFERENCE_RATE)} msg/s, µs`, at((s) => s.cpuPerMessage), num, '≤ 1× (every run)', (q) => q.max <= 1),
		figure(`${label}: delivery p99 @ ${num(MANY_REFERENCE_RATE)} msg/s, ms`, at((s) => s.p99), ms, '≤ 2× (every run)', (q) => q.max <= 2),
		figure(`${label}: delivery p50 @ ${num(MANY_REFERENCE_RATE)} msg/s, ms`, at((s) => s.p50), ms, '', () => null),
		figure(`${label}: highest sustained total msg/s (≥99 %, p99 ≤ 100 ms, nothing refused)`, (r) => r.sustained, num, '≥ 3× (every run)', (q) => q.min >= 3),
		figure(`${label}: server CPU per connect, µs`, (r) => r.cpuPerConnect, num, '', () => null)
	];
}

// ---- report -------------------------------------------------------------------------------------

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const num = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '—');
const ms = (x: number) => (Number.isFinite(x) ? `${x.toFixed(1)}` : '—');
const ratio = (a: number, b: number) => (b > 0 && Number.isFinite(a) && Number.isFinite(b) ? `${(a / b).toFixed(2)}×` : '—');

function selfCheck() {
	// the generator's hand-encoded update must be exactly what a Y.Doc produces
	const doc = new Y.Doc({ gc: false });
	doc.clientID = 4242;
	let update: Uint8Array | null = null;
	doc.on('update', (u: Uint8Array) => (update = u));
	const record = { id: 'u:1', authorId: 'u', text: '~b1.2~', mentions: [], createdAt: 3 };
	doc.getMap('messages').set(record.id, record);
	if (!Buffer.from(update!).equals(Buffer.from(encodeChatSet(4242, 0, record)))) throw new Error('encodeChatSet does not match Yjs');
}

async function main() {
	selfCheck();
	const began = Date.now();
	const searched = SCENARIOS.has('search') ? await benchSearch(log) : null;
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-'));
	const databaseUrl = `file:${path.join(dir, 'parley.db')}`;
	// many conversations: two distinct people per conversation
	const maxN = Math.max(...SIZES, COLD_WRITERS, SCENARIOS.has('many') || SCENARIOS.has('profile') ? 2 * MANY : 0);
	const manyBase = CONVERSATIONS + SIZES.length + 1 + SIZES.length * RUNS;
	log(`preparing ${maxN} users and ${CONVERSATIONS + SIZES.length + 1} conversations in ${dir}`);
	const { users, conversations } = await prepareDatabase(databaseUrl, maxN, manyBase + (SCENARIOS.has('many') || SCENARIOS.has('profile') ? MANY * (RUNS + 1) : 0));
	const ours = () => startServer('ours', { databaseUrl });
	const ref = (persistenceDir?: string) => startServer('ref', { persistenceDir });
	const machine = `${os.cpus().length}× ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, ${os.platform()}`;

	const fan: Record<number, { ours: FanoutRuns; ref: FanoutRuns }> = {};
	for (const [i, n] of SIZES.entries()) {
		if (!SCENARIOS.has('fanout')) break;
		const o: FanoutResult[] = [];
		const r: FanoutResult[] = [];
		for (let run = 0; run < RUNS; run++) {
			// alternate who goes first, so a noisy stretch of the machine does not always hit the same server
			for (const kind of run % 2 === 0 ? (['ours', 'ref'] as const) : (['ref', 'ours'] as const)) {
				log(`fan-out with ${n} clients: ${kind}, run ${run + 1} of ${RUNS}`);
				if (kind === 'ours') {
					// a fresh conversation per run: every run starts from the same empty document
					const so = await ours();
					o.push(await fanout('ours', n, so, `c/${conversations[SIZES.length + CONVERSATIONS + 1 + i * RUNS + run]}/chat`, users));
					await so.stop();
				} else {
					const sr = await ref();
					r.push(await fanout('ref', n, sr, `chat-${n}-${run}`, users));
					await sr.stop();
				}
			}
		}
		fan[n] = { ours: medianRun(o), ref: medianRun(r) };
		log(`  n=${n} sustained, median of ${RUNS}: ours ${num(fan[n].ours.median.best?.deliveredPerSec ?? 0)}, ref ${num(fan[n].ref.median.best?.deliveredPerSec ?? 0)}`);
	}

	const many: Array<{ ours: ManyRun; ref: ManyRun }> = [];
	for (let run = 0; run < RUNS && SCENARIOS.has('many'); run++) {
		const pair: Partial<{ ours: ManyRun; ref: ManyRun }> = {};
		for (const kind of run % 2 === 0 ? (['ours', 'ref'] as const) : (['ref', 'ours'] as const)) {
			log(`many conversations (${MANY} × 2 clients): ${kind}, run ${run + 1} of ${RUNS}`);
			const server = kind === 'ours' ? await ours() : await ref();
			// fresh conversations per run: every run starts from the same empty documents
			const docOf = (i: number) => (kind === 'ours' ? `c/${conversations[manyBase + run * MANY + i]}/chat` : `many-${run}-${i}`);
			pair[kind] = await manyConversations(kind, server, docOf, users, [load[0], load[1]], MANY_OPTIONS);
			await server.stop();
		}
		many.push(pair as { ours: ManyRun; ref: ManyRun });
	}

	const noMem: MemoryResult = { base: NaN, oneClient: NaN, twoClients: NaN, perConversation: NaN, perDocument: NaN, perConnection: NaN };
	let memOurs = noMem;
	let memRef = noMem;
	let so: ServerProcess;
	if (SCENARIOS.has('memory')) {
		log(`memory: ${CONVERSATIONS} conversations × 2 clients`);
		const memConvs = conversations.slice(SIZES.length, SIZES.length + CONVERSATIONS);
		so = await ours();
		memOurs = await memory('ours', so, memConvs, users);
		await so.stop();
		const sr = await ref();
		memRef = await memory('ref', sr, memConvs, users);
		await sr.stop();
	}

	const noCold: ColdResult = { runs: [], ms: NaN, bytes: NaN, messages: NaN };
	let coldOurs = noCold;
	let coldRef = noCold;
	if (SCENARIOS.has('cold')) {
		log(`cold open of ${COLD_MESSAGES} messages`);
		const coldDoc = `c/${conversations[SIZES.length + CONVERSATIONS]}/chat`;
		coldOurs = await coldOpen('ours', ours, coldDoc, users);
		const levelDir = path.join(dir, 'leveldb');
		coldRef = await coldOpen('ref', () => ref(levelDir), 'cold-10k', users);
	}

	// profile: our relay on the many-conversations workload at the reference rate, node --cpu-prof,
	// on conversations of its own (the runs above stay unprofiled)
	const profDir = path.join(dir, 'prof');
	let profile = 'not run';
	if (SCENARIOS.has('profile')) {
		log(`profiling our relay: ${MANY} conversations × 2 clients at ${num(MANY_REFERENCE_RATE)} msg/s`);
		const server = await startServer('ours', { databaseUrl, nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${profDir}`] });
		const docOf = (i: number) => `c/${conversations[manyBase + RUNS * MANY + i]}/chat`;
		const rate = Number(process.env.BENCH_PROFILE_RATE) || MANY_REFERENCE_RATE;
		await manyConversations('ours', server, docOf, users, [load[0], load[1]], { ...MANY_OPTIONS, firstRate: rate, maxRate: rate, referenceRate: rate });
		await server.stop();
		const profFile = (fs.existsSync(profDir) ? fs.readdirSync(profDir) : []).find((f) => f.endsWith('.cpuprofile'));
		profile = profFile ? summarizeProfile(path.join(profDir, profFile), 20) : 'no profile written';
		if (profFile && process.env.BENCH_KEEP_PROFILE) fs.copyFileSync(path.join(profDir, profFile), process.env.BENCH_KEEP_PROFILE);
	}
	if (process.env.BENCH_PARTIAL) {
		if (searched) console.log([...searchTableLines(searched), ...searchNotes(searched)].join('\n'));
		console.log(profile);
		for (const g of all) g.stop();
		return;
	}

	// ---- table
	const lines: string[] = [];
	const date = new Date().toISOString().slice(0, 10);
	lines.push(`# Parley relay vs @y/websocket-server 0.1.1 — ${date}`);
	lines.push('');
	lines.push(`Machine: ${machine}. One run of \`npm run bench\` (${Math.round((Date.now() - began) / 1000)} s); ${RUNS} runs per scenario and server, alternating which goes first; every figure is median [min–max] over the runs, ratios taken run by run. Each server in its own process;`);
	lines.push(`load from 3 other processes on the same machine (2 minimal-client processes, 1 with full Y.Doc clients).`);
	lines.push(`Ours runs with authorization, validation and ack-after-commit on (libsql file, WAL); the reference`);
	lines.push(`runs as its bin does (no persistence for fan-out and memory, YPERSISTENCE/y-leveldb for the cold open).`);
	lines.push('');
	lines.push('| scenario | ours | reference | ours/ref | target | met |');
	lines.push('|---|---|---|---|---|---|');
	for (const n of SIZES) if (fan[n]) for (const row of fanoutRows(n, fan[n])) lines.push(row);
	if (many.length) for (const row of manyRows(many)) lines.push(row);
	lines.push(`| heap per open conversation (1 doc + 2 clients), ${CONVERSATIONS} open | ${kb(memOurs.perConversation)} | ${kb(memRef.perConversation)} | ${ratio(memOurs.perConversation, memRef.perConversation)} | ≤ 1× | ${memOurs.perConversation <= memRef.perConversation ? 'yes' : 'no'} |`);
	lines.push(`| — of which per document | ${kb(memOurs.perDocument)} | ${kb(memRef.perDocument)} | ${ratio(memOurs.perDocument, memRef.perDocument)} | | |`);
	lines.push(`| — of which per connection | ${kb(memOurs.perConnection)} | ${kb(memRef.perConnection)} | ${ratio(memOurs.perConnection, memRef.perConnection)} | | |`);
	lines.push(`| cold open of ${num(COLD_MESSAGES)} messages: time to synced (median of 3 restarts), ms | ${ms(coldOurs.ms)} | ${ms(coldRef.ms)} | ${ratio(coldOurs.ms, coldRef.ms)} | ≤ 0.6× | ${coldOurs.ms <= 0.6 * coldRef.ms ? 'yes' : 'no'} |`);
	lines.push(`| cold open: bytes received until synced | ${num(coldOurs.bytes)} | ${num(coldRef.bytes)} | ${ratio(coldOurs.bytes, coldRef.bytes)} | | |`);
	if (searched) lines.push(...searchTableLines(searched));
	lines.push('');
	lines.push('Notes');
	lines.push('');
	if (searched) lines.push(...searchNotes(searched));
	lines.push(`- Deliveries: a chat message received by one client other than its author. After connecting, one uncounted step at ${num(MODERATE_DELIVERIES)}/s (warm-up), then the moderate step; offered rate then stepped up by doubling and bisected; each step ${STEP_MS / 1000} s after a ${WARMUP_MS} ms warm-up, counted only for messages sent in the window, with ${GRACE_MS} ms grace. "Sustained" = the best passing step.`);
	lines.push(`- Latency: send time (wall clock, in the message text) to receipt, measured in the receiving process; the load generator shares the 2 cores with the server, so both servers' numbers include its cost.`);
	lines.push(`- Ours limits each connection to 200 messages/s (burst 1000): at 10 clients that caps the offered rate at 200 × 10 × 9 = 18,000 deliveries/s.`);
	lines.push(`- Memory: heapUsed after forced GC (--expose-gc, /stats hook), each measured 2 s after the last change; conversations hold 5 messages from the first client; per connection = (heap with 2 clients − heap with 1) / ${CONVERSATIONS}; per document = per conversation − 2 × per connection.`);
	lines.push(`- Cold open: from starting the WebSocket connection to holding all ${num(COLD_MESSAGES)} messages (${COLD_WRITERS} writers × ${COLD_MESSAGES / COLD_WRITERS}), server restarted each time. Runs: ours ${coldOurs.runs.map((r) => r.ms.toFixed(1)).join(', ')} ms; reference ${coldRef.runs.map((r) => r.ms.toFixed(1)).join(', ')} ms (its first open after the writes also trims the leveldb log). Messages received: ours ${coldOurs.messages}, reference ${coldRef.messages}.`);
	lines.push('');
	lines.push('Sustained deliveries/s of every run (the median is in the table):');
	lines.push('');
	for (const n of SIZES.filter((n) => fan[n]))
		for (const kind of ['ours', 'ref'] as const) lines.push(`- ${kind} n=${n}: ${fan[n][kind].runs.map((run) => num(run.best?.deliveredPerSec ?? 0)).join(', ')}`);
	lines.push('');
	lines.push('Steps of the median runs (offered → delivered/s, delivered %, p99 ms):');
	lines.push('');
	for (const n of SIZES.filter((n) => fan[n]))
		for (const kind of ['ours', 'ref'] as const)
			lines.push(`- ${kind} n=${n}: ${fan[n][kind].median.steps.map((s) => `${num(s.offered)}→${num(s.deliveredPerSec)} ${(s.ratio * 100).toFixed(1)}% ${ms(s.p99)}${s.pass ? '' : '✗'}`).join('; ')}`);
	if (many.length) {
		lines.push('');
		lines.push(`Many conversations, every run (offered msg/s → delivered %, p99 ms, CPU µs/msg; ✗ failed, L = stopped by a limit):`);
		lines.push('');
		for (const [i, pair] of many.entries())
			for (const kind of ['ours', 'ref'] as const)
				lines.push(`- run ${i + 1} ${kind}: ${pair[kind].steps.map((s) => `${num(s.offered)}→${(s.deliveredShare * 100).toFixed(1)}% ${ms(s.p99)} ${num(s.cpuPerMessage)}${s.nacks ? ' L' : ''}${s.pass ? '' : '✗'}`).join('; ')}`);
	}
	lines.push('');
	lines.push(`## Where the time goes (our relay, ${num(MANY)} conversations × 2 clients at ${num(MANY_REFERENCE_RATE)} msg/s, node --cpu-prof)`);
	lines.push('');
	lines.push(profile);
	const text = lines.join('\n') + '\n';
	const outDir = path.join(root, 'bench/results');
	fs.mkdirSync(outDir, { recursive: true });
	fs.writeFileSync(path.join(outDir, `${date}.md`), text);
	fs.writeFileSync(path.join(outDir, 'latest.md'), text);
	console.log('\n' + text);
	for (const g of all) g.stop();
	fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((error) => {
	console.error(error);
	killChildren();
	process.exit(1);
});
