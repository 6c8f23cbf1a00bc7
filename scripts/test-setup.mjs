// First step of `npm test`: make sure the programs the tests drive are on this machine.
// Missing ones are installed from Debian's packages when we run as root (one line says so);
// otherwise the run stops at once with one line naming what to install.
// Plain Node, no dependencies: it runs before anything else is known to work.
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { spawnSync } from 'node:child_process';

// Each entry: a Debian package and the executable the tests use from it.
// `bin` is an absolute path or a name looked up on PATH; `env` names a variable that overrides it.
// Add new entries here.
const REQUIRED = [
	{ pkg: 'chromium', bin: '/usr/bin/chromium', env: 'CHROMIUM_PATH' },
	// the scale-out tests start their own Redis and PostgreSQL (tests/helpers/redis.ts, postgres.ts);
	// Debian's postgresql also creates the unprivileged `postgres` user that runs the cluster
	{ pkg: 'redis-server', bin: '/usr/bin/redis-server', env: 'REDIS_SERVER_BIN' },
	{ pkg: 'postgresql', bin: '/usr/lib/postgresql/15/bin/initdb' }
];

function executable(path) {
	try {
		accessSync(path, constants.X_OK);
		return true;
	} catch {
		return false;
	}
}

function found(bin) {
	if (isAbsolute(bin)) return executable(bin);
	return (process.env.PATH ?? '').split(delimiter).some((dir) => dir && executable(join(dir, bin)));
}

function stop(line) {
	console.error(`test-setup: ${line}`);
	process.exit(1);
}

const wanted = REQUIRED.map((r) => ({ ...r, bin: (r.env && process.env[r.env]) || r.bin }));
const missing = wanted.filter((r) => !found(r.bin));
if (missing.length === 0) process.exit(0);

const pkgs = [...new Set(missing.map((r) => r.pkg))];
const what = missing.map((r) => `${r.bin} (Debian package ${r.pkg})`).join(', ');
const command = `apt-get update && apt-get install -y ${pkgs.join(' ')}`;

if (process.getuid?.() !== 0) {
	stop(`missing ${what}; install it as root: ${command}`);
}

console.log(`test-setup: missing ${what}; installing: ${command}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
for (const args of [['update', '-qq'], ['install', '-y', '-qq', ...pkgs]]) {
	const run = spawnSync('apt-get', args, { env, stdio: ['ignore', 'ignore', 'inherit'] });
	if (run.error) stop(`could not run apt-get (${run.error.message}); install by hand: ${command}`);
	if (run.status !== 0) stop(`apt-get ${args[0]} failed (exit ${run.status}); install by hand: ${command}`);
}

// An override (e.g. CHROMIUM_PATH) pointing elsewhere is not fixed by installing the package.
const still = wanted.filter((r) => !found(r.bin));
if (still.length > 0) {
	stop(`still missing after install: ${still.map((r) => (r.env && process.env[r.env] ? `${r.bin} (from ${r.env})` : r.bin)).join(', ')}`);
}
