import path from 'node:path';

/** Runtime configuration, from the environment with embedded defaults that run on a fresh machine. */
export interface Config {
	port: number;
	host: string;
	/** Public origin (scheme://host[:port]); when unset the request's Host header decides, as adapter-node does. */
	origin: string | null;
	databaseUrl: string;
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
		smtpUrl: env.SMTP_URL || null,
		mailFrom: env.MAIL_FROM ?? 'Parley <parley@localhost>',
		inboundDomain: (env.INBOUND_DOMAIN || 'parley.localhost').toLowerCase(),
		production: env.NODE_ENV === 'production',
		seedDemo: env.PARLEY_SEED !== 'off'
	};
}
