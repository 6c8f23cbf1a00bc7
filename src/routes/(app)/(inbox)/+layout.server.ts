import { error } from '@sveltejs/kit';
import type { LayoutServerLoad } from './$types';
import { readLabelView } from '$lib/server/label-view.ts';

// A label's view (?label=<id>) is members-only: whoever may not read the organization's labels
// (policy.ts, through readLabelView) gets the 404 of a label that does not exist.
export const load: LayoutServerLoad = async ({ url, locals, parent }) => {
	const labelId = url.searchParams.get('label');
	if (labelId === null) return { labelView: null };
	// after (app)'s load, which sends the signed-out to /signin
	const { currentOrg } = await parent();
	const label = locals.user ? await readLabelView(locals.app, locals.user.id, currentOrg?.id ?? null, labelId) : null;
	if (!label) error(404, 'There is no such label.');
	return { labelView: { id: label.id, name: label.name, color: label.color } };
};
