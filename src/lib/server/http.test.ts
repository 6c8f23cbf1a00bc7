import { describe, expect, it } from 'vitest';
import { isLoopbackAddress } from './http.ts';

describe('isLoopbackAddress', () => {
	it.each([
		['127.0.0.1', true],
		['127.1.2.3', true],
		['::1', true],
		['::ffff:127.0.0.1', true],
		['10.0.0.5', false],
		['192.168.1.10', false],
		['::ffff:10.0.0.5', false],
		['1270.0.0.1', false],
		['127.0.0.1.evil', false],
		['', false]
	])('%j → %s', (address, expected) => {
		expect(isLoopbackAddress(address)).toBe(expected);
	});
});
