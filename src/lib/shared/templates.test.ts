import { describe, expect, it } from 'vitest';
import { computeTemplateValues, expandTemplate, startWithSignature } from './templates.ts';

const values = computeTemplateValues({
	contact: { name: 'Dana van Dyke', address: 'dana@example.com' },
	me: { name: 'Bob Baker' },
	org: { name: 'Acme Support' }
});

describe('expandTemplate', () => {
	const cases: Array<[name: string, template: string, text: string, unknown?: string[], empty?: string[]]> = [
		['fills in the contact and me', 'Hi {{contact.first_name}},\n\n— {{me.name}}, {{org.name}}', 'Hi Dana,\n\n— Bob Baker, Acme Support'],
		['takes spaces inside the braces and any case', 'Hi {{ Contact.First_Name }}', 'Hi Dana'],
		['splits a name at its first space', '{{contact.last_name}} / {{me.first_name}} / {{contact.email}}', 'van Dyke / Bob / dana@example.com'],
		['leaves an unknown variable as typed and names it', 'Hi {{contact.nickname}}', 'Hi {{contact.nickname}}', ['contact.nickname']],
		['leaves a variable without a value as typed and names it', 'Dear {{contact.last_name}}', 'Dear {{contact.last_name}}', [], []],
		['touches nothing that is not a placeholder', 'Price: {100} {{ }} {{a b}}', 'Price: {100} {{ }} {{a b}}'],
		['fills in every occurrence', '{{me.first_name}} {{me.first_name}}', 'Bob Bob']
	];
	for (const [name, template, text, unknown = [], empty = []] of cases) {
		it(name, () => {
			const out = expandTemplate(template, name.includes('without a value') ? { ...values, 'contact.last_name': '' } : values);
			expect(out.text).toBe(text);
			expect(out.unknown).toEqual(unknown);
			expect(out.empty).toEqual(name.includes('without a value') ? ['contact.last_name'] : empty);
		});
	}

	it('a sender known only by address has an empty first name, not the address', () => {
		const v = computeTemplateValues({ contact: { name: '', address: 'x@example.com' }, me: { name: 'Bob' }, org: { name: 'Acme' } });
		expect(expandTemplate('Hi {{contact.first_name}}', v)).toEqual({ text: 'Hi {{contact.first_name}}', unknown: [], empty: ['contact.first_name'] });
	});
});

describe('startWithSignature', () => {
	it('leaves room above the delimiter and the signature', () => {
		expect(startWithSignature('  Bob Baker\nAcme Support \n')).toBe('\n\n-- \nBob Baker\nAcme Support');
	});
	it('is empty without a signature', () => {
		expect(startWithSignature('   ')).toBe('');
	});
});
