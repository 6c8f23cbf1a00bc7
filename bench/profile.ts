// Summarizes a V8 .cpuprofile (node --cpu-prof): top functions by self time, as a markdown table.
import fs from 'node:fs';
import path from 'node:path';

interface ProfileNode {
	id: number;
	callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
	nodes: ProfileNode[];
	samples: number[];
	timeDeltas: number[];
}

export function summarizeProfile(file: string, top: number): string {
	const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
	const byId = new Map(profile.nodes.map((n) => [n.id, n]));
	const self = new Map<string, number>();
	let total = 0;
	profile.samples.forEach((id, i) => {
		const dt = profile.timeDeltas[i] ?? 0;
		total += dt;
		const f = byId.get(id)!.callFrame;
		const where = f.url ? `${shorten(f.url)}:${f.lineNumber + 1}` : '';
		const key = `${f.functionName || '(anonymous)'}|${where}`;
		self.set(key, (self.get(key) ?? 0) + dt);
	});
	const idle = [...self].filter(([k]) => k.startsWith('(idle)')).reduce((a, [, v]) => a + v, 0);
	const busy = total - idle;
	const rows = [...self].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, top);
	const out = [
		`Sampled ${(total / 1e6).toFixed(1)} s, busy ${(busy / 1e6).toFixed(1)} s (${((busy / total) * 100).toFixed(0)} %). Top self time (share of busy time):`,
		'',
		'| self % | function | where |',
		'|---|---|---|'
	];
	for (const [key, t] of rows) {
		const [name, where] = key.split('|');
		out.push(`| ${((t / busy) * 100).toFixed(1)} | \`${name}\` | ${where} |`);
	}
	return out.join('\n');
}

function shorten(url: string): string {
	const p = url.replace(/^file:\/\//, '');
	const nm = p.lastIndexOf('node_modules/');
	if (nm >= 0) return p.slice(nm + 'node_modules/'.length);
	return path.relative(process.cwd(), p) || p;
}
