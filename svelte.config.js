import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
	preprocess: vitePreprocess(),
	kit: {
		adapter: adapter({ out: 'build' }),
		csrf: {
			// src/hooks.server.ts checks Origin on every POST/PUT/PATCH/DELETE (forms and JSON) against the
			// origin the browser really used. SvelteKit's own check compares with adapter-node's guessed
			// origin, which is https:// whenever ORIGIN is unset, and would refuse every form on http://localhost.
			trustedOrigins: ['*']
		},
		csp: {
			mode: 'auto',
			directives: {
				'default-src': ['self'],
				'script-src': ['self'],
				'style-src': ['self', 'unsafe-inline'],
				'img-src': ['self', 'data:'],
				'connect-src': ['self'],
				'font-src': ['self'],
				'object-src': ['none'],
				'base-uri': ['self'],
				'form-action': ['self'],
				'frame-ancestors': ['none']
			}
		},
		serviceWorker: { register: false }
	}
};

export default config;
