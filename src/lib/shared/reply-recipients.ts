// Who a reply goes to, decided the same way in the composer (to prefill To and Cc) and on the server
// (which sends). Pure.
import type { ThreadMessage } from './records.ts';
import { parseAddressList, withoutAddresses, type EmailAddress } from './addresses.ts';

type Address = EmailAddress;

/** Who a reply goes to: the sender (or, answering our own message, its recipients); reply-all adds everyone else but our inbox. */
export function computeReplyRecipients(parent: Pick<ThreadMessage, 'direction' | 'from' | 'to' | 'cc'>, mode: 'reply' | 'replyAll', inbox: string): { to: Address[]; cc: Address[] } {
	const self = inbox.toLowerCase();
	const seen = new Set<string>([self]);
	const take = (list: Address[]) =>
		list.filter((a) => {
			const key = a.address.toLowerCase();
			if (seen.has(key)) return false;
			seen.add(key);
			return true;
		});
	const to = take(parent.direction === 'in' ? [parent.from] : parent.to);
	const cc = mode === 'replyAll' ? take([...parent.to, ...parent.cc]) : [];
	return { to, cc };
}

/**
 * The recipients a reply goes to: those the member edited (To/Cc fields) or, when untouched, those
 * `mode` implies. The organization's own inbox is never among them, and nobody is in To and Cc both.
 */
export function chooseRecipients(
	implied: { to: Address[]; cc: Address[] },
	edits: { to?: string; cc?: string },
	inbox: string
): { ok: true; to: Address[]; cc: Address[] } | { ok: false; message: string } {
	const to = edits.to === undefined ? { ok: true as const, addresses: implied.to } : parseAddressList(edits.to, 'To');
	if (!to.ok) return to;
	const cc = edits.cc === undefined ? { ok: true as const, addresses: implied.cc } : parseAddressList(edits.cc, 'Cc');
	if (!cc.ok) return cc;
	const toList = withoutAddresses(to.addresses, [inbox]);
	const ccList = withoutAddresses(cc.addresses, [inbox, ...toList.map((a) => a.address)]);
	if (toList.length + ccList.length > 50) return { ok: false, message: 'A reply may go to at most 50 people.' };
	return { ok: true, to: toList, cc: ccList };
}
