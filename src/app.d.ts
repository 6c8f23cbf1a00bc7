// See https://svelte.dev/docs/kit/types#app.d.ts
import type { SessionUser, SessionInfo } from '$lib/server/auth/session';
import type { App as ParleyApp } from '$lib/server/app';

declare global {
	namespace App {
		interface Locals {
			/** The running app (database, relay, mail, limiters), set by hooks.server.ts. */
			app: ParleyApp;
			user: SessionUser | null;
			session: SessionInfo | null;
		}
		interface Error {
			message: string;
		}
	}
}

export {};
