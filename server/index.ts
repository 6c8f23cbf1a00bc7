// Production entry: one process serves the SvelteKit app (adapter-node's handler) and owns the
// HTTP upgrade for /sync, where the relay lives.
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { readConfig } from '../src/lib/server/config.ts';
import { processApp } from '../src/lib/server/app.ts';
import { seedDemoDocuments, seedDemoIfEmpty } from '../src/lib/server/seed.ts';
import { createSyncEndpoint } from './sync-endpoint.ts';
import { readInboundLimits, rotateInboundSecret } from '../src/lib/server/mail/inbound.ts';
import { readSmtpListenConfig, startInboundSmtp } from '../src/lib/server/mail/smtp-listener.ts';
import { scheduleNotificationEmails } from '../src/lib/server/notifications.ts';
import { scheduleSnoozeWakeups } from '../src/lib/server/conversation-status.ts';
import { DemoOrgs } from '../src/lib/server/seed.ts';
import { organizations } from '../src/lib/server/db/schema.ts';
import { eq } from 'drizzle-orm';

const config = readConfig();
// Without ORIGIN the origin comes from the request's Host header, which any client sets: a sign-in link
// asked for someone else's address would point at the asker's site and hand them the token. Fine on a
// developer's machine; in production the public origin must be configured.
if (config.production && !config.origin) {
	console.error('ORIGIN must be set in production (e.g. ORIGIN=https://parley.example.com): links in mail and the Origin checks depend on it.');
	process.exit(1);
}
// the one app of this process; the SvelteKit bundle imported below finds it through processApp too
const app = await processApp(config);
const endpoint = createSyncEndpoint(app);
const seeded = config.seedDemo ? await seedDemoIfEmpty(app.db) : null;
if (seeded) await seedDemoDocuments(app);
// documents stored further than the search index got (written before it existed, or a crash
// between a commit and its indexing): indexed before the first request
await app.searchIndex.catchUp();
// the demo organization's webhook secret: only its hash is kept, so it can be shown only now
let demoSecret: { orgId: string; secret: string } | null = null;
if (seeded) {
	const [acme] = await app.db.select({ id: organizations.id }).from(organizations).where(eq(organizations.inboxAddress, DemoOrgs.acme.inboxAddress));
	if (acme) demoSecret = { orgId: acme.id, secret: await rotateInboundSecret(app, acme.id) };
}
// email in by SMTP (SMTP_LISTEN_PORT, 2525 by default, `off` to disable)
const smtpListen = readSmtpListenConfig();
// a busy port (another Parley, a test run) must not stop the app: it runs without SMTP in, and says so
const inboundSmtp = smtpListen
	? await startInboundSmtp(app, smtpListen).catch((error: Error) => {
			console.error(`Email in: could not listen on ${smtpListen.host}:${smtpListen.port} (${error.message}); set SMTP_LISTEN_PORT to another port, or "off"`);
			return null;
		})
	: null;
// notification emails left pending by a previous run go out after the quiet period
scheduleNotificationEmails(app);
// snoozes that came due while the server was down wake now; the rest on time
scheduleSnoozeWakeups(app);
// raw MIME webhooks carry attachments: let request bodies be as large as an inbound message (adapter-node reads this at import)
process.env.BODY_SIZE_LIMIT ??= String(readInboundLimits().maxMessageBytes + 64 * 1024);

// The build output is plain JS made by `vite build`; imported by path so the type check does not need it.
const handlerUrl = pathToFileURL(path.resolve(process.env.PARLEY_BUILD_DIR ?? 'build', 'handler.js')).href;
const { handler } = (await import(handlerUrl)) as { handler: http.RequestListener };

const server = http.createServer(handler);
server.on('upgrade', (req, socket, head) => {
	const pathname = (req.url ?? '').split('?')[0];
	if (pathname === '/sync') endpoint.handleUpgrade(req, socket, head);
	else socket.destroy();
});

server.listen(config.port, config.host, () => {
	const address = server.address();
	const port = typeof address === 'object' && address ? address.port : config.port;
	const base = config.origin ?? `http://localhost:${port}`;
	// one write, so whoever waits for "Parley listening" (a supervisor, the e2e harness) reads the rest with it
	const lines = [`Parley listening on ${base}`];
	if (seeded) lines.push('Demo data seeded. Sign in with:', ...seeded.map((line) => `  ${line}`));
	if (!config.smtpUrl) lines.push(`No SMTP_URL set: emails go to the local outbox at ${base}/dev/mail`);
	if (inboundSmtp) {
		lines.push(`Email in: SMTP on ${inboundSmtp.host}:${inboundSmtp.port}. Send a test mail to the demo inbox with`);
		lines.push(`  swaks --server ${inboundSmtp.host}:${inboundSmtp.port} --to ${DemoOrgs.acme.inboxAddress} --from you@example.com --header "Subject: Hello" --body "Hi Acme"`);
	}
	if (demoSecret) lines.push(`Email in by webhook: POST raw MIME to ${base}/inbound/${demoSecret.orgId} with "Authorization: Bearer ${demoSecret.secret}"`);
	console.log(lines.join('\n'));
});

async function shutdown() {
	await inboundSmtp?.close();
	await endpoint.close();
	await app.close();
	server.close();
	process.exit(0);
}
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
