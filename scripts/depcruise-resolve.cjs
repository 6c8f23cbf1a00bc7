// How `npm run check:deps` resolves SvelteKit's `$lib` alias (.dependency-cruiser.cjs points here as
// its "webpack" resolve config; nothing else reads it). SvelteKit's generated tsconfig has the same
// alias, but with paths relative to .svelte-kit/, which dependency-cruiser's paths plugin misreads.
const path = require('node:path');

module.exports = { resolve: { alias: { $lib: path.join(__dirname, '..', 'src', 'lib') } } };
