import type { Db } from './db/index.ts';

/** Seeds the demo organizations into an empty database; returns the sign-in lines to print, or null. */
export async function seedDemoIfEmpty(_db: Db): Promise<string[] | null> {
	return null; // filled in by the foundation work (issue 2)
}
