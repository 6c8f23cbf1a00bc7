import { describe, expect, it } from 'vitest';
import { parseRichText, toMailText } from './rich-text.ts';

const nora = { id: 'u-nora', name: 'Nora North' };

describe('parseRichText', () => {
	it.each([
		['plain', 'hello', [{ type: 'text', text: 'hello' }]],
		['bold', '**hi**', [{ type: 'bold', children: [{ type: 'text', text: 'hi' }] }]],
		['italic with stars', '*hi*', [{ type: 'italic', children: [{ type: 'text', text: 'hi' }] }]],
		['italic with underscores', '_hi_', [{ type: 'italic', children: [{ type: 'text', text: 'hi' }] }]],
		['snake_case stays text', 'a_b_c', [{ type: 'text', text: 'a_b_c' }]],
		['code keeps markers', '`**x**`', [{ type: 'code', text: '**x**' }]],
		['markdown link', '[site](https://example.com/a)', [{ type: 'link', text: 'site', href: 'https://example.com/a' }]],
		['bare link without trailing dot', 'see https://example.com/x.', [{ type: 'text', text: 'see ' }, { type: 'link', text: 'https://example.com/x', href: 'https://example.com/x' }, { type: 'text', text: '.' }]],
		['javascript: links stay text', '[x](javascript:alert(1))', [{ type: 'text', text: '[x](javascript:alert(1))' }]],
		['HTML stays text', '<img src=x onerror=alert(1)>', [{ type: 'text', text: '<img src=x onerror=alert(1)>' }]]
	])('%s', (_name, text, expected) => {
		expect(parseRichText(text)).toEqual(expected);
	});

	it('highlights only the mentioned people, by full name', () => {
		expect(parseRichText('hi @Nora North and @Bob', [nora])).toEqual([
			{ type: 'text', text: 'hi ' },
			{ type: 'mention', name: 'Nora North', userId: 'u-nora' },
			{ type: 'text', text: ' and @Bob' }
		]);
	});
});

describe('toMailText', () => {
	it('drops formatting marks and keeps link addresses, for plain-text mail', () => {
		expect(toMailText('Bob: **ship** it _today_, see [tracking](https://track.example/1) or https://x.example/')).toBe(
			'Bob: ship it today, see tracking (https://track.example/1) or https://x.example/'
		);
		expect(toMailText('`**literal**` and a_b_c')).toBe('**literal** and a_b_c');
	});
});
