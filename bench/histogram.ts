// Latency histograms from the load generators (0.1 ms buckets), merged and read as percentiles,
// and the min / median / max of a figure over several runs.
import type { Histogram } from './load-client.ts';

export function mergeHists(hists: Histogram[]): Map<number, number> {
	const m = new Map<number, number>();
	for (const h of hists) for (const [b, c] of h.buckets) m.set(b, (m.get(b) ?? 0) + c);
	return m;
}

/** The q-th percentile in ms (NaN for an empty histogram). */
export function percentile(m: Map<number, number>, q: number): number {
	const total = [...m.values()].reduce((a, b) => a + b, 0);
	if (total === 0) return NaN;
	const want = Math.ceil(total * q);
	let seen = 0;
	for (const b of [...m.keys()].sort((a, b) => a - b)) {
		seen += m.get(b)!;
		if (seen >= want) return b / 10;
	}
	return NaN;
}

export interface Spread {
	min: number;
	median: number;
	max: number;
}

/** Min, median and max of the finite values (NaN when there are none). */
export function spread(values: number[]): Spread {
	const v = values.filter(Number.isFinite).sort((a, b) => a - b);
	if (v.length === 0) return { min: NaN, median: NaN, max: NaN };
	return { min: v[0], median: v[Math.floor((v.length - 1) / 2)], max: v[v.length - 1] };
}
