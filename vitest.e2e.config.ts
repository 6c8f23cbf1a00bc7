import { defineConfig } from 'vitest/config';

// End-to-end tests drive Debian's Chromium against the built app (npm run build first).
export default defineConfig({
	test: {
		include: ['tests/e2e/**/*.test.ts'],
		testTimeout: 120_000,
		hookTimeout: 180_000,
		fileParallelism: false
	}
});
