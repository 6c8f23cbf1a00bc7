// The inbox's keyboard, as a pure mapping from a key press to an action; the layout performs it.

export type ListKeyAction = 'next' | 'previous' | 'open' | 'close' | 'snooze' | 'reply' | 'search' | 'unread' | null;

export interface KeyPress {
	key: string;
	ctrlKey?: boolean;
	metaKey?: boolean;
	altKey?: boolean;
	/** Typing in a field, or a dialog is open: keys belong to it. */
	inField: boolean;
	/** Focus is in the conversation pane (arrows scroll it there). */
	inConversation: boolean;
}

export function listKeyAction(press: KeyPress): ListKeyAction {
	if (press.inField || press.ctrlKey || press.metaKey || press.altKey) return null;
	switch (press.key) {
		case 'j':
			return 'next';
		case 'k':
			return 'previous';
		case 'ArrowDown':
			return press.inConversation ? null : 'next';
		case 'ArrowUp':
			return press.inConversation ? null : 'previous';
		case 'Enter':
			return press.inConversation ? null : 'open';
		case 'e':
			return 'close';
		case 's':
			return 'snooze';
		case 'r':
			return 'reply';
		case 'u':
			return 'unread';
		case '/':
			return 'search';
		default:
			return null;
	}
}

/** The row the cursor moves to; from nothing, the first (next) or last (previous). */
export function moveCursor(ids: string[], current: string | null, direction: 'next' | 'previous'): string | null {
	if (ids.length === 0) return null;
	const i = current === null ? -1 : ids.indexOf(current);
	if (i === -1) return direction === 'next' ? ids[0] : ids[ids.length - 1];
	return ids[direction === 'next' ? Math.min(ids.length - 1, i + 1) : Math.max(0, i - 1)];
}
