// The SMTP listener for email in: accepts mail only for organizations' inbox addresses (unknown
// recipients are refused at RCPT TO), within a size limit, and answers after the message is stored.
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import type { App } from '../app.ts';
import { findInboxOrgs, readInboundLimits, receiveMail, type InboundLimits } from './inbound.ts';

export interface InboundSmtp {
	port: number;
	host: string;
	close(): Promise<void>;
}

/** Where the listener listens: SMTP_LISTEN_PORT (2525 by default; `off` disables) on SMTP_LISTEN_HOST (127.0.0.1). */
export function readSmtpListenConfig(env: NodeJS.ProcessEnv = process.env): { port: number; host: string } | null {
	const value = (env.SMTP_LISTEN_PORT ?? '2525').trim();
	if (value === 'off') return null;
	const port = Number(value);
	if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`SMTP_LISTEN_PORT must be a port number or "off", got ${value}`);
	return { port, host: env.SMTP_LISTEN_HOST ?? '127.0.0.1' };
}

function smtpError(code: number, message: string): Error & { responseCode: number } {
	return Object.assign(new Error(message), { responseCode: code });
}

/** Starts the listener (port 0 picks a free port). */
export async function startInboundSmtp(
	database: App,
	options: { port: number; host?: string; limits?: InboundLimits; log?: (message: string) => void }
): Promise<InboundSmtp> {
	const limits = options.limits ?? readInboundLimits();
	const log = options.log ?? ((message: string) => console.log(`[smtp-in] ${message}`));
	// recipients accepted at RCPT TO, by session: address -> organization id
	const accepted = new WeakMap<SMTPServerSession, Map<string, string>>();
	const server = new SMTPServer({
		name: 'parley',
		banner: 'Parley inbound mail',
		authOptional: true,
		disabledCommands: ['AUTH', 'STARTTLS'],
		size: limits.maxMessageBytes,
		logger: false,
		onRcptTo(address: SMTPServerAddress, session: SMTPServerSession, callback: (err?: Error | null) => void) {
			findInboxOrgs(database, [address.address])
				.then((orgs) => {
					const orgId = orgs.get(address.address.toLowerCase());
					if (!orgId) return callback(smtpError(550, `5.1.1 <${address.address}>: no inbox here by that address`));
					let map = accepted.get(session);
					if (!map) accepted.set(session, (map = new Map()));
					map.set(address.address.toLowerCase(), orgId);
					callback();
				})
				.catch(() => callback(smtpError(451, '4.3.0 Temporary error, try again later')));
		},
		onData(stream, session, callback) {
			const chunks: Buffer[] = [];
			let size = 0;
			stream.on('data', (chunk: Buffer) => {
				size += chunk.byteLength;
				if (size <= limits.maxMessageBytes) chunks.push(chunk);
			});
			stream.on('end', () => {
				if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded || size > limits.maxMessageBytes) {
					return callback(smtpError(552, `5.3.4 Message too large: the limit is ${limits.maxMessageBytes} bytes`));
				}
				const orgIds = session.envelope.rcptTo.map((r) => accepted.get(session)?.get(r.address.toLowerCase())).filter((id): id is string => !!id);
				receiveMail(database, Buffer.concat(chunks), orgIds, limits)
					.then((result) => {
						if (!result.ok) {
							log(`refused mail from ${session.envelope.mailFrom ? session.envelope.mailFrom.address : '<>'}: ${result.message}`);
							return callback(smtpError(result.refusal.smtp, result.message));
						}
						for (const d of result.deliveries) log(`stored ${d.duplicate ? 'duplicate of ' : ''}message ${d.messageRecordId} in conversation ${d.conversationId}${d.created ? ' (new)' : ''}`);
						callback(null, 'Message stored');
					})
					.catch((error) => {
						log(`failed: ${String(error)}`);
						callback(smtpError(451, '4.3.0 Temporary error, try again later'));
					});
			});
		}
	});
	server.on('error', (error) => log(`server error: ${error.message}`));
	const host = options.host ?? '127.0.0.1';
	await new Promise<void>((resolve, reject) => {
		server.server.once('error', reject);
		server.listen(options.port, host, () => {
			server.server.off('error', reject);
			resolve();
		});
	});
	const port = (server.server.address() as AddressInfo).port;
	return { port, host, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
