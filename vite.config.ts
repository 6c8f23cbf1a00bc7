import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';
import type { Plugin } from 'vite';

/** Gives `vite dev` the same /sync upgrade handling as the production server (server/index.ts), over the same app as the pages. */
function parleySync(): Plugin {
	return {
		name: 'parley-sync',
		configureServer(server) {
			let endpoint: Promise<{ handleUpgrade: (req: unknown, socket: unknown, head: unknown) => void }> | null = null;
			server.httpServer?.on('upgrade', async (req, socket, head) => {
				const path = (req.url ?? '').split('?')[0];
				if (path !== '/sync') return; // Vite's HMR socket and others are not ours
				endpoint ??= (async () => {
					const { processApp } = await server.ssrLoadModule('/src/lib/server/app.ts');
					const { createSyncEndpoint } = await server.ssrLoadModule('/server/sync-endpoint.ts');
					return createSyncEndpoint(await processApp());
				})();
				(await endpoint).handleUpgrade(req, socket, head);
			});
		}
	};
}

export default defineConfig({
	plugins: [sveltekit(), parleySync()],
	test: {
		include: ['src/**/*.test.ts', 'tests/**/*.test.ts'],
		exclude: ['tests/e2e/**', 'node_modules/**'],
		testTimeout: 30_000,
		hookTimeout: 60_000
	}
});
