import path from 'node:path';

/** Runtime configuration, from the environment with embedded defaults that run on a fresh machine. */
export interface Config {
	port: number;
	host: string;
	/** Public origin (scheme://host[:port]); when unset the request's Host header decides, as adapter-node does. */
	origin: string | null;
	databaseUrl: string;
	/** Redis for several nodes (docs/ARCHITECTURE.md, "Several nodes"); null: one process, nothing shared beyond the database. */
	redisUrl: string | null;
	smtpUrl: string | null;
	mailFrom: string;
	/** The domain of organizations' inbox addresses (`<slug>@<domain>`); its MX must point at this server. */
	inboundDomain: string;
	production: boolean;
	seedDemo: boolean;
}

/** Reads the configuration from an environment (process.env by default). */
export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
	const port = Number(env.PORT ?? 3000);
	if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, got ${env.PORT}`);
	return {
		port,
		host: env.HOST ?? '0.0.0.0',
		origin: env.ORIGIN ? env.ORIGIN.replace(/\/$/, '') : null,
		databaseUrl: env.DATABASE_URL ?? `file:${path.join('data', 'parley.db')}`,
		redisUrl: readRedisUrl(env.REDIS_URL),
		smtpUrl: env.SMTP_URL || null,
		mailFrom: env.MAIL_FROM ?? 'Parley <parley@localhost>',
		inboundDomain: (env.INBOUND_DOMAIN || 'parley.localhost').toLowerCase(),
		production: env.NODE_ENV === 'production',
		seedDemo: env.PARLEY_SEED !== 'off'
	};
}

/** REDIS_URL, or null when unset; anything but a redis:// or rediss:// URL is refused at start, not at the first access change. */
function readRedisUrl(value: string | undefined): string | null {
	if (!value) return null;
	let url: URL;
	try {
		url = new URL(value);
	} catch {
		throw new Error(`REDIS_URL must be a redis:// URL, got ${value}`);
	}
	if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new Error(`REDIS_URL must be a redis:// URL, got ${value}`);
	return value;
}
