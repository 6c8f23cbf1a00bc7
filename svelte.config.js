import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
	preprocess: vitePreprocess(),
	kit: {
		adapter: adapter({ out: 'build' }),
		// SvelteKit's CSRF check covers form posts; JSON endpoints and the /sync upgrade check Origin themselves.
		serviceWorker: { register: false }
	}
};

export default config;
