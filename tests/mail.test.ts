import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { createTempDatabase } from './helpers/temp-db.ts';
import type { Db } from '../src/lib/server/db/index.ts';
import { findFirstLink, isOutboxPageEnabled, listOutbox, sendMail } from '../src/lib/server/mail/index.ts';

let db: Db;
let cleanup: () => Promise<void>;
beforeEach(async () => {
	({ db, cleanup } = await createTempDatabase());
});
afterEach(async () => {
	vi.restoreAllMocks();
	await cleanup();
});

const message = {
	to: 'ada@example.com',
	subject: 'Your Parley sign-in link',
	text: 'Sign in:\n\nhttp://localhost:3000/signin/link?token=abc234\n\nOr http://second.example/'
};

/** A real SMTP sink on port 0 that keeps what it receives. */
async function startSmtpSink() {
	const received: { from: string; to: string[]; raw: string }[] = [];
	const server = new SMTPServer({
		authOptional: true,
		disabledCommands: ['STARTTLS'],
		onData(stream, session, callback) {
			let raw = '';
			stream.on('data', (chunk: Buffer) => (raw += chunk.toString()));
			stream.on('end', () => {
				received.push({
					from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
					to: session.envelope.rcptTo.map((r) => r.address),
					raw
				});
				callback();
			});
		}
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const port = (server.server.address() as AddressInfo).port;
	return { url: `smtp://127.0.0.1:${port}`, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('mail', () => {
	it('without SMTP: keeps the message in the outbox and logs one line with its first link', async () => {
		const log = vi.spyOn(console, 'log').mockImplementation(() => {});
		const result = await sendMail(db, message, { smtpUrl: null, mailFrom: 'Parley <parley@localhost>' });
		expect(result.status).toBe('outbox');
		expect(log).toHaveBeenCalledTimes(1);
		expect(log.mock.calls[0][0]).toBe(
			'[mail] to=ada@example.com subject="Your Parley sign-in link" link=http://localhost:3000/signin/link?token=abc234'
		);
		const [row] = await listOutbox(db);
		expect(row).toMatchObject({ to: message.to, subject: message.subject, text: message.text, status: 'outbox' });
	});

	it('lists the outbox newest first', async () => {
		vi.spyOn(console, 'log').mockImplementation(() => {});
		for (const subject of ['first', 'second', 'third']) await sendMail(db, { ...message, subject }, { smtpUrl: null, mailFrom: 'x@y.z' });
		expect((await listOutbox(db)).map((m) => m.subject)).toEqual(['third', 'second', 'first']);
	});

	it('with SMTP: delivers to the server from MAIL_FROM and records it as sent', async () => {
		const sink = await startSmtpSink();
		try {
			const result = await sendMail(db, message, { smtpUrl: sink.url, mailFrom: 'Parley <parley@parley.localhost>' });
			expect(result.status).toBe('sent');
			expect(sink.received).toHaveLength(1);
			expect(sink.received[0].from).toBe('parley@parley.localhost');
			expect(sink.received[0].to).toEqual(['ada@example.com']);
			expect(sink.received[0].raw).toContain('Subject: Your Parley sign-in link');
			expect((await listOutbox(db))[0].status).toBe('sent');
		} finally {
			await sink.close();
		}
	});

	it('with an unreachable SMTP server: records the failure instead of throwing', async () => {
		vi.spyOn(console, 'error').mockImplementation(() => {});
		const result = await sendMail(db, message, { smtpUrl: 'smtp://127.0.0.1:1', mailFrom: 'x@y.z' });
		expect(result.status).toBe('failed');
		const [row] = await listOutbox(db);
		expect(row.status).toBe('failed');
		expect(row.error).toBeTruthy();
	});

	it('finds the first link, and shows the outbox page only without SMTP and outside production', () => {
		expect(findFirstLink(message.text)).toBe('http://localhost:3000/signin/link?token=abc234');
		expect(findFirstLink('no links here')).toBeNull();
		expect(isOutboxPageEnabled({ smtpUrl: null, production: false })).toBe(true);
		expect(isOutboxPageEnabled({ smtpUrl: 'smtp://x', production: false })).toBe(false);
		expect(isOutboxPageEnabled({ smtpUrl: null, production: true })).toBe(false);
	});
});
