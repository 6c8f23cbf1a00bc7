// What a person is told about guest access, shared by the guest modules and the pages.

/** What a person is told; one message for "not allowed" whether or not the conversation exists. */
export const GuestMessages = {
	forbidden: 'You cannot invite guests to this conversation.',
	orgOff: 'Guest access is turned off for this organization. An admin can turn it on in the organization’s guest settings.',
	conversationOff: 'Guests are turned off for this conversation. Turn them on for this conversation first.',
	adminsOnly: 'Only owners and admins can invite guests in this organization.',
	notFound: 'This conversation does not exist or you do not have access to it.',
	alreadyGuest: 'This person is already a guest in this conversation.',
	removeForbidden: 'You cannot remove guests from this conversation.',
	settingsForbidden: 'Only owners and admins can change guest settings.',
	acceptOff: 'Guest access to this conversation has been turned off, so this invitation cannot be used now. Ask the person who invited you.'
} as const;

export type Refusal = { status: 400 | 403 | 404; message: string };
