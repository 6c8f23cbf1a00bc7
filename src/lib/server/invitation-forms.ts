// What the member and guest invitation pages share: the per-IP token limit, and reading the
// sign-up form of a visitor who has no account yet.
import type { RequestEvent } from '@sveltejs/kit';
import { clientIp, takeAll } from './actions.ts';
import { TOO_MANY } from './rate-limit.ts';
import { parseName, parseNewPassword } from './validation.ts';

/** Every request with an invitation token counts against the per-IP limit, so guessing tokens runs out quickly. */
export function takeTokenHit(event: Pick<RequestEvent, 'getClientAddress' | 'locals'>): Promise<boolean> {
	return takeAll(event.locals.app.limiters, [['invitationTokenPerIp', clientIp(event)]]);
}

export type SignupForm =
	| { ok: true; name: string; password: string; echo: { name: string } }
	| { ok: false; status: 400 | 429; body: { name: string; message: string } };

/** Reads and checks the sign-up fields (and the sign-up limit); `echo` refills the form after a refusal. */
export async function readSignupForm(event: Pick<RequestEvent, 'request' | 'getClientAddress' | 'locals'>): Promise<SignupForm> {
	const form = await event.request.formData();
	const echo = { name: String(form.get('name') ?? '').slice(0, 200) };
	const name = parseName(form.get('name'));
	if (!name.ok) return { ok: false, status: 400, body: { ...echo, message: name.message } };
	const password = parseNewPassword(form.get('password'));
	if (!password.ok) return { ok: false, status: 400, body: { ...echo, message: password.message } };
	if (!await takeAll(event.locals.app.limiters, [['signUpPerIp', clientIp(event)]])) return { ok: false, status: 429, body: { ...echo, message: TOO_MANY } };
	return { ok: true, name: name.value, password: password.value, echo };
}
