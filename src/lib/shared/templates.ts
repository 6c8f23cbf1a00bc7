// Canned response variables: `{{contact.first_name}}` and the like, filled in when a response is
// inserted into a reply. Pure: the composer hands in what it knows of the customer, the member and
// the organization. An unknown or empty variable stays in the text as typed, and is named, so the
// member sees it before sending instead of the customer receiving a blank.

/** The variables a response may use, with what each stands for (shown on the management page). */
export const TemplateVariables = {
	'contact.name': "the customer's name",
	'contact.first_name': "the customer's first name",
	'contact.last_name': "the customer's last name",
	'contact.email': "the customer's email address",
	'me.name': 'your name',
	'me.first_name': 'your first name',
	'org.name': "the organization's name"
} as const;
export type TemplateVariable = keyof typeof TemplateVariables;

export interface TemplatePeople {
	contact: { name: string; address: string };
	me: { name: string };
	org: { name: string };
}

const PLACEHOLDER = /\{\{\s*([a-z_.]+)\s*\}\}/gi;

/** A name split at its first space: "Dana van Dyke" is Dana + van Dyke; an address's local part stands in for no name. */
function nameParts(name: string): { first: string; last: string } {
	const trimmed = name.trim();
	const space = trimmed.indexOf(' ');
	return space < 0 ? { first: trimmed, last: '' } : { first: trimmed.slice(0, space), last: trimmed.slice(space + 1).trim() };
}

/** The value of every variable for these people ('' where unknown, e.g. a sender without a name). */
export function computeTemplateValues(people: TemplatePeople): Record<TemplateVariable, string> {
	const contact = nameParts(people.contact.name);
	const me = nameParts(people.me.name);
	return {
		'contact.name': people.contact.name.trim(),
		'contact.first_name': contact.first,
		'contact.last_name': contact.last,
		'contact.email': people.contact.address.trim(),
		'me.name': people.me.name.trim(),
		'me.first_name': me.first,
		'org.name': people.org.name.trim()
	};
}

export interface Expanded {
	text: string;
	/** Placeholders left as typed: not a known variable. */
	unknown: string[];
	/** Known variables without a value here (e.g. the customer gave no name). */
	empty: string[];
}

/** The usual email signature delimiter ("-- " on its own line), which mail programs recognise. */
export const SIGNATURE_DELIMITER = '-- ';

/** A new message's starting text: room to write, then the signature (nothing when there is none). */
export function startWithSignature(signature: string): string {
	const trimmed = signature.trim();
	return trimmed ? `\n\n${SIGNATURE_DELIMITER}\n${trimmed}` : '';
}

/** Fills in the variables of `template`; what cannot be filled stays as typed and is listed. */
export function expandTemplate(template: string, values: Record<TemplateVariable, string>): Expanded {
	const unknown = new Set<string>();
	const empty = new Set<string>();
	const text = template.replace(PLACEHOLDER, (whole, name: string) => {
		const key = name.toLowerCase();
		if (!Object.hasOwn(TemplateVariables, key)) {
			unknown.add(name);
			return whole;
		}
		const value = values[key as TemplateVariable];
		if (!value) {
			empty.add(key);
			return whole;
		}
		return value;
	});
	return { text, unknown: [...unknown], empty: [...empty] };
}
