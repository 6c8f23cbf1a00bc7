// `npm run check:deps`: the server's layering and no import cycles (issue 10). A broken rule fails
// the run with the offending import named. The layers, inner to outer:
//   src/lib/shared  — pure rules and codecs both sides use (policy, protocol, doc names)
//   server/relay    — the document relay: knows sockets, documents and grants, no product features
//   src/lib/server  — the app: database facts, mail, activity; wires itself to the relay (app.ts)
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
	forbidden: [
		{
			name: 'no-cycles',
			severity: 'error',
			comment:
				'Import cycles hide which module owns what and make load order matter. Move the shared type into its own module, or inject the dependency.',
			// a component that renders itself (RichText.svelte, for nested formatting) imports itself:
			// recursion, not a cycle between modules
			from: { path: '^((src|server)/.+)$' },
			to: { circular: true, pathNot: '^$1$' }
		},
		{
			name: 'shared-imports-no-server',
			severity: 'error',
			comment: 'src/lib/shared runs in the browser and on the server: it may not import server code.',
			from: { path: '^src/lib/shared/' },
			to: { path: '^(src/lib/server|server)/' }
		},
		{
			name: 'relay-imports-no-app',
			severity: 'error',
			comment:
				'The relay is the inner core: what it needs from the app (access facts, storage, reactions to writes) is injected (see server/relay/relay.ts RelayOptions), never imported.',
			from: { path: '^server/relay/' },
			to: { path: '^src/lib/server/' }
		},
		{
			name: 'not-to-unresolvable',
			severity: 'error',
			comment: 'An import the checker cannot resolve would escape every rule above.',
			from: { path: '^(src|server)/' },
			// SvelteKit's virtual modules ($app/*, $env/*, $service-worker) and generated route types (./$types) exist only in the build
			to: { couldNotResolve: true, dependencyTypesNot: ['core'], pathNot: '^(\\$app|\\$env)/|^\\$service-worker$|/\\$types$|^\\./\\$types$' }
		}
	],
	options: {
		doNotFollow: { path: 'node_modules' },
		exclude: { path: '^(\\.svelte-kit|build|node_modules)/' },
		tsPreCompilationDeps: true,
		// SvelteKit's $lib alias
		webpackConfig: { fileName: 'scripts/depcruise-resolve.cjs' },
		enhancedResolveOptions: {
			extensions: ['.ts', '.js', '.svelte', '.json'],
			// packages such as @sveltejs/kit and svelte are reachable only through their exports maps
			exportsFields: ['exports'],
			conditionNames: ['import', 'require', 'node', 'svelte', 'default']
		}
	}
};
