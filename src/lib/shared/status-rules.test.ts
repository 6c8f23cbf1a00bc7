import { describe, expect, it } from 'vitest';
import { isSnoozeDue, MAX_SNOOZE_MS, parseStatusRequest, snoozePresets, statusAfterActivity, type StatusRequest, type StatusState } from './status-rules.ts';

const now = 1_700_000_000_000;

describe('parseStatusRequest', () => {
	const cases: Array<[string, StatusRequest, StatusState | string]> = [
		['close', { status: 'closed' }, { status: 'closed', snoozeUntil: null, snoozeUnlessReply: false }],
		['reopen drops a snooze time sent along', { status: 'open', snoozeUntil: now + 1000 }, { status: 'open', snoozeUntil: null, snoozeUnlessReply: false }],
		['snooze until a time', { status: 'snoozed', snoozeUntil: now + 60_000 }, { status: 'snoozed', snoozeUntil: now + 60_000, snoozeUnlessReply: false }],
		['snooze unless someone replies', { status: 'snoozed', snoozeUntil: String(now + 60_000), unlessReply: true }, { status: 'snoozed', snoozeUntil: now + 60_000, snoozeUnlessReply: true }],
		['unknown status', { status: 'archived' }, 'Status must be open, closed or snoozed.'],
		['snooze without a time', { status: 'snoozed' }, 'Choose when the conversation should come back.'],
		['snooze with a non-number', { status: 'snoozed', snoozeUntil: 'tomorrow' }, 'Choose when the conversation should come back.'],
		['snooze into the past', { status: 'snoozed', snoozeUntil: now - 1 }, 'Choose a time in the future to snooze until.'],
		['snooze for over a year', { status: 'snoozed', snoozeUntil: now + MAX_SNOOZE_MS + 1 }, 'A conversation can be snoozed for at most a year.']
	];
	it.each(cases)('%s', (_name, input, expected) => {
		const result = parseStatusRequest(input, now);
		if (typeof expected === 'string') expect(result).toEqual({ ok: false, message: expected });
		else expect(result).toEqual({ ok: true, state: expected });
	});
});

describe('statusAfterActivity', () => {
	const open: StatusState = { status: 'open', snoozeUntil: null, snoozeUnlessReply: false };
	const closed: StatusState = { status: 'closed', snoozeUntil: null, snoozeUnlessReply: false };
	const snoozed: StatusState = { status: 'snoozed', snoozeUntil: now + 1000, snoozeUnlessReply: false };
	const snoozedUnless: StatusState = { ...snoozed, snoozeUnlessReply: true };
	const rows: Array<[string, StatusState, 'inbound' | 'reply', string | null]> = [
		['inbound mail reopens a closed conversation', closed, 'inbound', 'open'],
		['a reply leaves a closed conversation closed', closed, 'reply', null],
		['inbound mail leaves a plain snooze asleep', snoozed, 'inbound', null],
		['inbound mail ends an "unless someone replies" snooze', snoozedUnless, 'inbound', 'open'],
		['a reply ends an "unless someone replies" snooze', snoozedUnless, 'reply', 'open'],
		['an open conversation stays open', open, 'inbound', null]
	];
	it.each(rows)('%s', (_name, state, activity, expected) => expect(statusAfterActivity(state, activity)).toBe(expected));
});

describe('snooze timing', () => {
	it('is due at its time, not before', () => {
		const s: StatusState = { status: 'snoozed', snoozeUntil: now, snoozeUnlessReply: false };
		expect(isSnoozeDue(s, now - 1)).toBe(false);
		expect(isSnoozeDue(s, now)).toBe(true);
		expect(isSnoozeDue({ ...s, status: 'open' }, now)).toBe(false);
	});
	it('offers presets in the future, in order, tomorrow and next week at 08:00', () => {
		const wed = new Date(2026, 11, 2, 22, 30); // a Wednesday evening
		const [later, tomorrow, nextWeek] = snoozePresets(wed);
		expect(later.at).toBeGreaterThan(wed.getTime());
		expect(tomorrow.at).toBe(new Date(2026, 11, 3, 8, 0).getTime());
		expect(nextWeek.at).toBe(new Date(2026, 11, 7, 8, 0).getTime()); // Monday
		const monday = new Date(2026, 11, 7, 9, 0);
		expect(snoozePresets(monday)[2].at).toBe(new Date(2026, 11, 14, 8, 0).getTime());
	});
});
