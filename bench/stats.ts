// Memory of a server process, after a forced GC when the process runs with --expose-gc.
export function memoryStats(): { heapUsed: number; rss: number; gc: boolean } {
	const gc = (globalThis as { gc?: () => void }).gc;
	if (gc) {
		gc();
		gc();
	}
	const m = process.memoryUsage();
	return { heapUsed: m.heapUsed, rss: m.rss, gc: Boolean(gc) };
}
