// The guest invitation mail.
import type { Db } from '../db/index.ts';
import { sendMail } from '../mail/index.ts';

/** The guest invitation mail: the conversation's subject and the inviter's name, never anyone else's address. */
export async function mailGuestInvitation(
	db: Db,
	input: { origin: string; to: string; token: string; subject: string; orgName: string; inviterName: string }
): Promise<void> {
	const link = `${input.origin}/invite/guest/${input.token}`;
	await sendMail(db, {
		to: input.to,
		subject: `${input.inviterName} invited you to “${input.subject}” on Parley`,
		text: [
			`${input.inviterName} (${input.orgName}) invited you as a guest to the conversation “${input.subject}” on Parley, a shared team inbox.`,
			'',
			'Open this link to join (it works once and expires in 7 days):',
			'',
			link,
			'',
			'You can use an account you already have, or create one with this address.',
			'If you were not expecting this, you can ignore this email.'
		].join('\n')
	});
}
