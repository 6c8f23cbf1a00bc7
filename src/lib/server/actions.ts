import type { RequestEvent } from '@sveltejs/kit';
import type { Db } from './db/index.ts';
import { sendMail } from './mail/index.ts';
import { computeRequestOrigin } from './http.ts';
import type { Limiters } from './rate-limit.ts';

// Pieces shared by the account and organization form actions.

/** Rate-limit keys for the client address. */
export function clientIp(event: Pick<RequestEvent, 'getClientAddress'>): string {
	try {
		return event.getClientAddress();
	} catch {
		return 'unknown';
	}
}

/** Takes one hit from every limiter named; false when any refuses (then nothing else may happen). */
export async function takeAll(limiters: Limiters, hits: [keyof Limiters, string][]): Promise<boolean> {
	// every limiter counts the hit, also when an earlier one refused: a refused guess still counts
	const answers = await Promise.all(hits.map(([name, key]) => limiters[name].take(key)));
	return answers.every(Boolean);
}

/** Sends the sign-in link mail. */
export async function mailSignInLink(db: Db, event: RequestEvent, to: string, token: string): Promise<void> {
	const link = `${computeRequestOrigin(event)}/signin/link?token=${token}`;
	await sendMail(db, {
		to,
		subject: 'Your Parley sign-in link',
		text: [
			'Hello,',
			'',
			'Use this link to sign in to Parley. It works once, for 15 minutes:',
			'',
			link,
			'',
			'If you did not ask for it, you can ignore this email; nobody can sign in without the link.'
		].join('\n')
	});
}

/** Sends a member invitation mail. */
export async function mailMemberInvitation(
	db: Db,
	event: RequestEvent,
	input: { to: string; token: string; orgName: string; inviterName: string }
): Promise<void> {
	const link = `${computeRequestOrigin(event)}/invite/${input.token}`;
	await sendMail(db, {
		to: input.to,
		subject: `${input.inviterName} invited you to ${input.orgName} on Parley`,
		text: [
			`${input.inviterName} invited you to join ${input.orgName} on Parley, a shared team inbox.`,
			'',
			'Open this link to accept (it works once and expires in 7 days):',
			'',
			link,
			'',
			'If you were not expecting this, you can ignore this email.'
		].join('\n')
	});
}
