// Real SMTP both ways for the email tests: a sink that keeps what Parley sends, and a nodemailer
// client that sends into Parley's listener.
import { SMTPServer } from 'smtp-server';
import nodemailer from 'nodemailer';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';

export interface SmtpSink {
	url: string;
	received: Array<{ from: string; to: string[]; raw: string; parsed: ParsedMail }>;
	/** Resolves once `count` messages arrived. */
	waitFor(count: number, timeoutMs?: number): Promise<void>;
	close(): Promise<void>;
}

/** A real SMTP sink on port 0 that parses and keeps every message. */
export async function startSmtpSink(): Promise<SmtpSink> {
	const received: SmtpSink['received'] = [];
	const server = new SMTPServer({
		authOptional: true,
		disabledCommands: ['STARTTLS'],
		logger: false,
		onData(stream, session, callback) {
			const chunks: Buffer[] = [];
			stream.on('data', (chunk: Buffer) => chunks.push(chunk));
			stream.on('end', async () => {
				const raw = Buffer.concat(chunks).toString();
				received.push({
					from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
					to: session.envelope.rcptTo.map((r) => r.address),
					raw,
					parsed: await simpleParser(raw)
				});
				callback();
			});
		}
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const port = (server.server.address() as AddressInfo).port;
	return {
		url: `smtp://127.0.0.1:${port}`,
		received,
		async waitFor(count, timeoutMs = 5000) {
			const until = Date.now() + timeoutMs;
			while (received.length < count) {
				if (Date.now() > until) throw new Error(`expected ${count} messages at the sink, got ${received.length}`);
				await new Promise((r) => setTimeout(r, 20));
			}
		},
		close: () => new Promise<void>((r) => server.close(() => r()))
	};
}

/** A nodemailer transport into Parley's listener on `port`. */
export function createSender(port: number) {
	return nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, tls: { rejectUnauthorized: false } });
}
