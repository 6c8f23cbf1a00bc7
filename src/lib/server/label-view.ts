// One label's view (`/?label=<id>`: the open conversations of the current organization carrying
// it). Labels are members-only (computeOrgDocAccess): a guest, or anyone outside the organization,
// gets the same "no such label" as for an id nobody uses, so the answer tells her nothing.
import * as Y from 'yjs';
import type { App } from './app-types.ts';
import { getRole } from './orgs.ts';
import { computeOrgDocAccess } from '../shared/policy.ts';
import { orgDoc } from '../shared/doc-names.ts';
import { getRecord, type Label } from '../shared/records.ts';

/** The label `labelId` of organization `orgId` if `userId` may open its view, else null. */
export async function readLabelView(app: App, userId: string, orgId: string | null, labelId: string): Promise<Label | null> {
	if (!orgId) return null;
	const role = await getRole(app.db, orgId, userId);
	if (!computeOrgDocAccess(role, 'labels').read) return null;
	const doc = new Y.Doc();
	try {
		Y.applyUpdate(doc, await app.relay.readState(orgDoc(orgId, 'labels')));
		return getRecord(doc, 'labels', 'labels', labelId) ?? null;
	} finally {
		doc.destroy();
	}
}
