// Scenario "many": a team inbox is thousands of small conversations, not one big room. N
// conversations with 2 people each (one socket per person and conversation, each person a distinct
// user), a ramp of total messages/s spread evenly over them; per step: delivery latency p50/p99,
// delivered share, the server's CPU per message (its process CPU time over the step / messages
// sent), and whether a limit (a refused write) rather than the server stopped it.
import type { ClientSpec, Histogram, Kind } from './load-client.ts';
import type { BenchUser, ServerProcess } from './servers.ts';
import { mergeHists, percentile } from './histogram.ts';

export interface Gen {
	call<T = unknown>(msg: object): Promise<T>;
}

export interface ManyStep {
	/** total messages/s offered across all conversations */
	offered: number;
	sent: number;
	deliveredShare: number;
	p50: number;
	p99: number;
	/** server CPU µs per message sent in the step (warm-up and grace included on both sides) */
	cpuPerMessage: number;
	/** writes the server refused (a rate or size limit): the step says a limit stopped it */
	nacks: number;
	dropped: number;
	pass: boolean;
}

export interface ManyRun {
	kind: Kind;
	/** server CPU µs per connection while 2 × N clients connect and sync */
	cpuPerConnect: number;
	steps: ManyStep[];
	/** the highest passing offered rate, messages/s (0 when none passed) */
	sustained: number;
	/** the step at the reference rate (1,000 msg/s), when it ran */
	atReference: ManyStep | null;
}

export interface ManyOptions {
	conversations: number;
	/** the first offered rate; the ramp doubles it until a step fails, then bisects once */
	firstRate: number;
	maxRate: number;
	referenceRate: number;
	stepMs: number;
	warmupMs: number;
	graceMs: number;
	maxP99: number;
	minDelivered: number;
	log: (line: string) => void;
}

const wall = () => performance.timeOrigin + performance.now();

export async function manyConversations(
	kind: Kind,
	server: ServerProcess,
	docOf: (i: number) => string,
	users: BenchUser[],
	gens: [Gen, Gen],
	o: ManyOptions
): Promise<ManyRun> {
	const n = o.conversations;
	// each conversation's two people sit in different load processes, as two people on two machines
	const side = (person: 0 | 1): ClientSpec[] =>
		Array.from({ length: n }, (_, i) => {
			const user = users[2 * i + person];
			return { idx: person * n + i, doc: docOf(i), userId: kind === 'ours' ? user.id : `r${2 * i + person}`, cookie: user.cookie };
		});
	const cpuBefore = await server.cpu();
	await Promise.all(gens.map((g, person) => g.call({ cmd: 'connect', kind, port: server.port, clients: side(person as 0 | 1) })));
	const cpuPerConnect = (await server.cpu() - cpuBefore) / (2 * n);
	o.log(`  ${kind}: ${2 * n} clients connected, ${cpuPerConnect.toFixed(0)} µs server CPU per connect`);

	const step = async (offered: number): Promise<ManyStep> => {
		await Promise.all(gens.map((g) => g.call({ cmd: 'ensure' })));
		const rate = offered / (2 * n); // per client
		const start = wall() + 300;
		const t0 = start + o.warmupMs;
		const t1 = t0 + o.stepMs;
		const cpu0 = await server.cpu();
		const out = await Promise.all(
			gens.map((g) =>
				g.call<{ sent: number; sentAll: number; nacks: number; delivered: number; hist: Histogram; dropped: number }>({ cmd: 'run', rate, start, t0, t1, grace: o.graceMs })
			)
		);
		const cpu1 = await server.cpu();
		await Promise.all(gens.map((g) => g.call({ cmd: 'idle' })));
		const sent = out.reduce((a, r) => a + r.sent, 0);
		const sentAll = out.reduce((a, r) => a + r.sentAll, 0);
		const delivered = out.reduce((a, r) => a + r.delivered, 0);
		const hist = mergeHists(out.map((r) => r.hist));
		const s: ManyStep = {
			offered,
			sent,
			deliveredShare: sent === 0 ? 0 : delivered / sent,
			p50: percentile(hist, 0.5),
			p99: percentile(hist, 0.99),
			cpuPerMessage: sentAll === 0 ? NaN : (cpu1 - cpu0) / sentAll,
			nacks: out.reduce((a, r) => a + r.nacks, 0),
			dropped: out.reduce((a, r) => a + r.dropped, 0),
			pass: false
		};
		s.pass = s.deliveredShare >= o.minDelivered && s.p99 <= o.maxP99 && s.nacks === 0;
		o.log(
			`  ${kind} ${n}×2 @ ${offered} msg/s: delivered ${(s.deliveredShare * 100).toFixed(1)}%, p50 ${s.p50} ms, p99 ${s.p99} ms, ${s.cpuPerMessage.toFixed(0)} µs CPU/msg${s.nacks ? `, ${s.nacks} refused by a limit` : ''}${s.dropped ? `, ${s.dropped} dropped` : ''} ${s.pass ? 'PASS' : 'fail'}`
		);
		return s;
	};

	await step(o.firstRate); // not counted: JIT, first loads of every room
	const steps: ManyStep[] = [];
	let lo = 0;
	let hi = 0;
	for (let rate = o.firstRate; rate <= o.maxRate; rate *= 2) {
		const s = await step(rate);
		steps.push(s);
		if (!s.pass) {
			hi = rate;
			break;
		}
		lo = rate;
	}
	if (lo > 0 && hi > 0) {
		const mid = (lo + hi) / 2;
		const s = await step(mid);
		steps.push(s);
		if (s.pass) lo = mid;
	}
	let atReference = steps.find((s) => s.offered === o.referenceRate) ?? null;
	if (!atReference) atReference = await step(o.referenceRate);
	await Promise.all(gens.map((g) => g.call({ cmd: 'close' })));
	return { kind, cpuPerConnect, steps, sustained: lo, atReference };
}
