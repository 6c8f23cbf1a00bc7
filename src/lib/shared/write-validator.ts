// The write validator (DESIGN.md §3): checks a client's update from its bytes alone, against the
// actor's grant, the record schemas and a small per-document index, before anything is applied,
// stored or forwarded. Pure: no Y.Doc, no I/O.
//
// Yjs detail this rests on: an Item with an `origin` (or `rightOrigin`) does not carry its parent
// and key in the bytes; they are those of its origin. So an overwrite of a map key is resolved
// through the index (`items`) or through earlier items of the same update.
import * as Y from 'yjs';
import { ReasonCode } from './protocol.ts';
import { laneRoots, type Lane } from './doc-names.ts';
import { isLaneRoot, validateRecord } from './records.ts';

/** Small per-document index the relay keeps instead of a live Y.Doc. */
export interface DocIndex {
	/** Client id -> next expected clock. */
	stateVector: Map<number, number>;
	/** Client id -> user id of the first user that wrote with it (the server's own writes: 'system'). */
	bindings: Map<number, string>;
	/** `${client}:${clock}` -> the map entry this item is (deleted and GC structs whose entry is unknown have none); `origin` of JSON items, to order concurrent writes. */
	items: Map<string, { root: string; key: string; origin?: string | null }>;
	/** `${root}\u0000${key}` -> item id `${client}:${clock}` of the live value. */
	current: Map<string, string>;
}

/** What the validator needs to know about the writer and the document. */
export interface WriteContext {
	/** User id of the writer. */
	actorId: string;
	/** The document's lane (doc-names). */
	lane: Lane;
	/** From the grant: laneGrant(...).write or computeDocAccess(...).write. */
	canWrite: boolean;
	/** From the grant: `moderate` (owners and admins on chat) lets the actor remove anyone's record (see RecordRule.removal). */
	canModerate?: boolean;
	/** The actor's display name; when given, a removal must carry it (everyone is shown "removed by <name>"). */
	actorName?: string;
	/** For internal.assignees / taskAssignees: members only, never guests. */
	isMember(userId: string): boolean;
	/** For internal.labels: the org label exists. */
	labelExists(labelId: string): boolean;
	/** Largest update accepted, in bytes (default DEFAULT_MAX_UPDATE_BYTES). */
	maxUpdateBytes?: number;
}

/** The validator's answer: what to store and forward, or why nothing is. */
export type WriteVerdict =
	| {
			ok: true;
			/** Only what the server does not have yet (the update diffed against the index's state vector). */
			update: Uint8Array;
			/** Nothing new at all: acknowledge without storing. */
			duplicate: boolean;
			/** Client ids this write binds to the actor. */
			newBindings: Array<[number, string]>;
	  }
	| { ok: false; reason: ReasonCode; message: string };

/** Default cap on one update's size. */
export const DEFAULT_MAX_UPDATE_BYTES = 256 * 1024;

/** Cap on the clocks one update may cover (deleted/GC structs can claim any length in a few bytes). */
export const MAX_UPDATE_CLOCKS = 1 << 18;

/** Cap on the ids a delete set may name, summed over its ranges. */
export const MAX_DELETE_IDS = 1 << 22;

/** The user id bound to the server's own client ids. */
export const SYSTEM_ACTOR = 'system';

/** A new, empty index (for a new document, or before folding its stored bytes in with indexUpdate). */
export function createDocIndex(): DocIndex {
	return { stateVector: new Map(), bindings: new Map(), items: new Map(), current: new Map() };
}

type Value = Record<string, unknown>;

/** One authorizer per record type: who may create, overwrite and remove records of a root. */
interface RecordRule {
	/** Authored records: keys begin with `<actorId>:`, this field equals the actor, and only the author's own items are overwritten or deleted. */
	authorField?: string;
	/** Whether a record may be removed (deleted and not set again in the same update). */
	removable: boolean;
	/** References to other records or users that must exist; returns a message when one does not. */
	references?: (value: Value, ctx: WriteContext) => string | null;
	/**
	 * Authored records only: the field that marks a record as removed (`{ by, name, at }`). A removal
	 * names the actor who made it; a moderator (WriteContext.canModerate) may replace anyone's live
	 * record with a removal of it — same key, same author — but never delete it or write anything else.
	 */
	removal?: string;
	/** A field that must name the writer on every write of the record (who last edited it), whoever wrote it before. */
	editorField?: string;
}

const authored = (authorField: string, removal?: string): RecordRule => ({ authorField, removable: true, removal });
const removable: RecordRule = { removable: true };
const member = (value: Value, ctx: WriteContext) =>
	ctx.isMember(String(value.userId)) ? null : 'Only members of the organization can be assigned';

/** The record rules, by lane and root (who may write at all is the grant's `canWrite`). */
const recordRules: { [L in Lane]: { [R in (typeof laneRoots)[L][number]]: RecordRule } } = {
	thread: { messages: removable, events: removable },
	chat: { messages: authored('authorId', 'removed') },
	// tasks are closed, not deleted: guests keep seeing what they saw
	tasks: { tasks: { removable: false } },
	internal: {
		labels: { removable: true, references: (v, ctx) => (ctx.labelExists(String(v.labelId)) ? null : 'No such label') },
		assignees: { removable: true, references: member },
		taskAssignees: { removable: true, references: member },
		// history is written by whoever made the change, in her own name, and never deleted
		history: { authorField: 'actorId', removable: false }
	},
	// any member edits or sends the team's draft; it says truthfully who wrote last
	drafts: { replies: { removable: true, editorField: 'editedBy' } },
	inbox: { conversations: removable },
	private: { labels: removable, reads: removable, drafts: removable, canned: removable, signatures: removable },
	labels: { labels: removable },
	// the team's responses are the team's: any member edits or deletes them, like label definitions
	canned: { responses: removable }
};

function ruleOf(lane: Lane, root: string): RecordRule {
	return (recordRules[lane] as Record<string, RecordRule>)[root];
}

const idKey = (client: number, clock: number) => `${client}:${clock}`;
/** The index's key of the record `key` in the map `root` (DocIndex.current); built only here. */
export const entryKey = (root: string, key: string) => `${root}\u0000${key}`;

type Struct = Y.Item | Y.GC | Y.Skip;
type Resolution =
	| { ok: true; root: string; key: string }
	| { ok: false; why: 'nested' | 'not-map' | 'gap' | 'unknown' | 'cycle' };

/** The structs of one update, indexed for resolving origins within it. */
interface Analysis {
	structs: Struct[];
	ds: Map<number, Array<{ clock: number; len: number }>>;
	/** The Items of the update, in order. */
	items: Y.Item[];
	/** The Item of the update covering this id, if any (binary search: deleted structs may cover many clocks in few bytes). */
	localAt(client: number, clock: number): Y.Item | undefined;
	/** Client -> [first clock, end clock) of its structs in the update. */
	ranges: Map<number, { first: number; end: number }>;
	/** Ids that some Item of the update names as its origin (such an item is not its key's last value). */
	origins: Set<string>;
	resolve(item: Y.Item): Resolution;
	isDeletedHere(client: number, clock: number): boolean;
	/** Whether any clock in [start, end) of this client is in the update's delete set. */
	overlapsDeleted(client: number, start: number, end: number): boolean;
}

class Refusal {
	constructor(
		readonly reason: ReasonCode,
		readonly message: string
	) {}
}

function refuse(reason: ReasonCode, message: string): never {
	throw new Refusal(reason, message);
}

/**
 * The update without the structs the index already has. Most writes overlap nothing, and then the
 * bytes are returned as they are; otherwise the diff uses a state vector of only the update's own
 * clients — encoding the document's whole state vector on every write cost O(clients) per message.
 */
function trimKnown(index: DocIndex, update: Uint8Array, structs: Struct[]): Uint8Array {
	let overlaps = false;
	const sv = new Map<number, number>();
	for (const s of structs) {
		const known = index.stateVector.get(s.id.client);
		if (known === undefined) continue;
		sv.set(s.id.client, known);
		if (s.id.clock < known) overlaps = true;
	}
	return overlaps ? Y.diffUpdate(update, Y.encodeStateVector(sv)) : update;
}

function analyze(index: DocIndex, update: Uint8Array, maxClocks: number): Analysis {
	const decoded = Y.decodeUpdate(update);
	const structs = decoded.structs as Struct[];
	const items: Y.Item[] = [];
	const itemsOf = new Map<number, Y.Item[]>(); // per client, in clock order (as decoded)
	const ranges = new Map<number, { first: number; end: number }>();
	const origins = new Set<string>();
	let clocks = 0;
	for (const s of structs) {
		const { client, clock } = s.id;
		clocks += s.length;
		if (clocks > maxClocks) refuse(ReasonCode.TooLarge, 'Update covers too many clocks');
		const r = ranges.get(client);
		if (r === undefined) ranges.set(client, { first: clock, end: clock + s.length });
		else r.end = Math.max(r.end, clock + s.length);
		if (s instanceof Y.Item) {
			items.push(s);
			const list = itemsOf.get(client);
			if (list) list.push(s);
			else itemsOf.set(client, [s]);
			if (s.origin) origins.add(idKey(s.origin.client, s.origin.clock));
		}
	}
	const ds = new Map<number, Array<{ clock: number; len: number }>>();
	// sorted, merged [start, end) ranges per client: hostile delete sets may be unsorted and overlapping
	const deleted = new Map<number, Array<[number, number]>>();
	for (const [client, deletes] of decoded.ds.clients) {
		ds.set(client, deletes.map((d) => ({ clock: d.clock, len: d.len })));
		const sorted = deletes.map((d): [number, number] => [d.clock, d.clock + d.len]).sort((x, y) => x[0] - y[0]);
		const merged: Array<[number, number]> = [];
		for (const r of sorted) {
			const last = merged[merged.length - 1];
			if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
			else merged.push([r[0], r[1]]);
		}
		deleted.set(client, merged);
	}

	const localAt = (client: number, clock: number): Y.Item | undefined => {
		const list = itemsOf.get(client);
		if (!list) return undefined;
		let lo = 0;
		let hi = list.length - 1;
		while (lo <= hi) {
			const mid = (lo + hi) >> 1;
			const it = list[mid];
			if (clock < it.id.clock) hi = mid - 1;
			else if (clock >= it.id.clock + it.length) lo = mid + 1;
			else return it;
		}
		return undefined;
	};
	const knownEnd = (client: number) => Math.max(index.stateVector.get(client) ?? 0, ranges.get(client)?.end ?? 0);
	const memo = new Map<Y.Item, Resolution>();
	const resolveOnce = (item: Y.Item): Resolution => {
		const path: Y.Item[] = [];
		let cur = item;
		let result: Resolution;
		for (;;) {
			const known = memo.get(cur);
			if (known) {
				result = known;
				break;
			}
			if (path.includes(cur)) {
				result = { ok: false, why: 'cycle' };
				break;
			}
			path.push(cur);
			const ref = cur.origin ?? cur.rightOrigin;
			if (ref === null) {
				const parent = cur.parent as unknown;
				if (typeof parent !== 'string') result = { ok: false, why: 'nested' };
				else if (cur.parentSub === null) result = { ok: false, why: 'not-map' };
				else result = { ok: true, root: parent, key: cur.parentSub };
				break;
			}
			const local = localAt(ref.client, ref.clock);
			if (local) {
				cur = local;
				continue;
			}
			const entry = index.items.get(idKey(ref.client, ref.clock));
			if (entry) result = { ok: true, root: entry.root, key: entry.key };
			else result = { ok: false, why: ref.clock >= knownEnd(ref.client) ? 'gap' : 'unknown' };
			break;
		}
		for (const p of path) memo.set(p, result);
		return result;
	};
	const overlapsDeleted = (client: number, start: number, end: number) => {
		const ranges = deleted.get(client);
		if (!ranges) return false;
		// the first merged range ending after `start`; it overlaps iff it begins before `end`
		let lo = 0;
		let hi = ranges.length;
		while (lo < hi) {
			const mid = (lo + hi) >> 1;
			if (ranges[mid][1] <= start) lo = mid + 1;
			else hi = mid;
		}
		return lo < ranges.length && ranges[lo][0] < end;
	};
	const isDeletedHere = (client: number, clock: number) => overlapsDeleted(client, clock, clock + 1);
	return { structs, ds, items, localAt, ranges, origins, resolve: resolveOnce, isDeletedHere, overlapsDeleted };
}

/**
 * Calls `visit` for every id of the delete set that is either an item of this update or the live value
 * of a key on the server: the deletions that change something. Deleting what is already deleted is a no-op.
 */
function forEachEffectiveDeletion(
	index: DocIndex,
	a: Analysis,
	visit: (client: number, clock: number, local: Y.Item | undefined, entry: { root: string; key: string } | undefined) => void
): void {
	let total = 0;
	for (const deletes of a.ds.values()) for (const d of deletes) total += d.len;
	if (total <= 4 * (index.current.size + a.items.length) + 64) {
		for (const [client, deletes] of a.ds) {
			for (const d of deletes) {
				for (let clock = d.clock; clock < d.clock + d.len; clock++) {
					const id = idKey(client, clock);
					const local = a.localAt(client, clock);
					if (local) {
						visit(client, clock, local, undefined);
						continue;
					}
					const entry = index.items.get(id);
					if (entry && index.current.get(entryKey(entry.root, entry.key)) === id) visit(client, clock, undefined, entry);
				}
			}
		}
		return;
	}
	// a long delete set (a full-state resend): scan the live values and the update's items instead
	for (const item of a.items) {
		const { client, clock } = item.id;
		if (a.overlapsDeleted(client, clock, clock + item.length)) visit(client, clock, item, undefined);
	}
	for (const id of index.current.values()) {
		const [client, clock] = id.split(':').map(Number);
		const entry = index.items.get(id);
		if (entry && !a.localAt(client, clock) && a.isDeletedHere(client, clock)) visit(client, clock, undefined, entry);
	}
}

/** The removal mark of a record (`{ by, name }`, unchecked beyond that), undefined when it has none, null when it is not an object. */
function removalOf(value: Value | null | undefined, field: string): { by: unknown; name: unknown } | null | undefined {
	const mark = value?.[field];
	if (mark === undefined) return undefined;
	return typeof mark === 'object' && mark !== null ? (mark as { by: unknown; name: unknown }) : null;
}

const contentNames: Array<[unknown, string]> = [
	[Y.ContentType, 'a nested Y type'],
	[Y.ContentString, 'Y.Text content'],
	[Y.ContentFormat, 'Y.Text formatting'],
	[Y.ContentEmbed, 'an embed'],
	[Y.ContentBinary, 'binary content'],
	[Y.ContentJSON, 'legacy JSON content'],
	[Y.ContentDoc, 'a subdocument']
];
function describeContent(content: unknown): string {
	for (const [ctor, name] of contentNames) if (content instanceof (ctor as new (...args: never[]) => unknown)) return name;
	return 'unsupported content';
}

function check(index: DocIndex, update: Uint8Array, ctx: WriteContext): WriteVerdict {
	const { actorId, lane } = ctx;
	if (!ctx.canWrite) refuse(ReasonCode.Forbidden, 'You cannot write to this document');
	const max = ctx.maxUpdateBytes ?? DEFAULT_MAX_UPDATE_BYTES;
	if (update.byteLength > max) refuse(ReasonCode.TooLarge, `Update over ${max} bytes`);

	let a: Analysis;
	let diffed: Uint8Array;
	try {
		// decode the whole update first: diffUpdate silently drops a leading Skip, and garbage must not pass as "nothing new"
		const original = Y.decodeUpdate(update);
		if (original.structs.some((s) => s instanceof Y.Skip)) refuse(ReasonCode.ClockGap, 'Update has a gap (missing earlier changes)');
		diffed = trimKnown(index, update, original.structs as Struct[]);
		a = analyze(index, diffed, MAX_UPDATE_CLOCKS);
	} catch (e) {
		if (e instanceof Refusal) throw e;
		refuse(ReasonCode.Malformed, 'Update could not be decoded');
	}

	// client ids: bound to one user forever; the first clock continues the server's state
	const newBindings: Array<[number, string]> = [];
	const ownerOf = (client: number) => index.bindings.get(client) ?? (a.ranges.has(client) ? actorId : undefined);
	for (const [client, range] of a.ranges) {
		const bound = index.bindings.get(client);
		if (bound !== undefined && bound !== actorId) refuse(ReasonCode.ClientIdTaken, `Client id ${client} belongs to another user`);
		if (bound === undefined) newBindings.push([client, actorId]);
		if (range.first !== (index.stateVector.get(client) ?? 0)) refuse(ReasonCode.ClockGap, 'Update does not continue the server state');
	}

	// every struct: a JSON record of a known root, or the actor's own deleted/GC leftovers
	const liveKeys = new Set<string>(); // keys this update leaves with a value of its own
	const moderatedKeys = new Set<string>(); // others' records this update replaces with a removal by a moderator
	const deletedKeys = new Set<string>(); // keys this update deletes or appends a deleted item to
	const keyOf = new Map<Y.Item, { root: string; key: string }>();
	for (const s of a.structs) {
		if (s instanceof Y.Skip) refuse(ReasonCode.ClockGap, 'Update has a gap (missing earlier changes)');
		// GC structs: every client of the update is the actor's (checked above), so these are the actor's own
		if (!(s instanceof Y.Item)) continue;
		const isAny = s.content instanceof Y.ContentAny;
		const isDeleted = s.content instanceof Y.ContentDeleted;
		if (!isAny && !isDeleted) refuse(ReasonCode.UnsupportedContent, `Only JSON records are accepted, not ${describeContent(s.content)}`);
		// map entries never have a right origin; one pointing into another chain could corrupt the list
		if (s.rightOrigin !== null || (isAny && s.length !== 1)) refuse(ReasonCode.UnsupportedContent, 'Only map entries are accepted');
		const where = a.resolve(s);
		if (!where.ok) {
			if (where.why === 'gap') refuse(ReasonCode.ClockGap, 'Update refers to changes the server does not have');
			if (where.why === 'nested') refuse(ReasonCode.UnsupportedContent, 'Nested Y types are not accepted');
			if (where.why === 'not-map') refuse(ReasonCode.UnsupportedContent, 'Only map entries are accepted');
			// a deleted struct continuing one whose entry is unknown (already deleted/GC'd): nothing to check
			if (isDeleted) continue;
			refuse(ReasonCode.UnsupportedContent, 'Update refers to an item that is not a record');
		}
		const { root, key } = where;
		if (!isLaneRoot(lane, root)) refuse(ReasonCode.UnknownRoot, `No root "${root}" in ${lane}`);
		keyOf.set(s, where);
		const rule = ruleOf(lane, root);
		const ek = entryKey(root, key);
		const deletedHere = isDeleted || a.isDeletedHere(s.id.client, s.id.clock);
		const lastValue = !deletedHere && !a.origins.has(idKey(s.id.client, s.id.clock));
		const value = isAny ? ((s.content as Y.ContentAny).arr[0] as Value | null) : undefined;
		const removal = rule.removal !== undefined && isAny ? removalOf(value, rule.removal) : undefined;
		if (removal !== undefined && (removal?.by !== actorId || (ctx.actorName !== undefined && removal?.name !== ctx.actorName))) {
			refuse(ReasonCode.NotAuthor, 'A removal must name you');
		}
		// moderation: the removal replaces the live value itself (its origin), keeping key and author
		const moderates =
			ctx.canModerate === true &&
			removal !== undefined &&
			lastValue &&
			s.origin !== null &&
			index.current.get(ek) === idKey(s.origin.client, s.origin.clock) &&
			key.startsWith(`${String(value?.[rule.authorField!])}:`);
		if (moderates) moderatedKeys.add(ek);
		else if (rule.authorField !== undefined) {
			// attribution is immutable: an overwrite continues the author's own item
			if (s.origin && ownerOf(s.origin.client) !== actorId) refuse(ReasonCode.NotOwner, 'You can only change your own messages');
			if (!key.startsWith(`${actorId}:`)) refuse(ReasonCode.ForeignKey, 'Keys must begin with your user id');
		}
		if (deletedHere) deletedKeys.add(ek);
		else if (lastValue) liveKeys.add(ek);
		if (!isAny) continue;
		if (rule.authorField !== undefined && !moderates && value?.[rule.authorField] !== actorId) {
			refuse(ReasonCode.NotAuthor, 'The author must be you');
		}
		if (rule.editorField !== undefined && value?.[rule.editorField] !== actorId) refuse(ReasonCode.NotAuthor, 'The last editor must be you');
		const verdict = validateRecord(lane, root, key, value);
		if (!verdict.ok) refuse(verdict.reason, verdict.message);
		const missing = rule.references?.(value as Value, ctx);
		if (missing) refuse(ReasonCode.UnknownReference, missing);
	}

	// the delete set: within the known state, and touching only what the actor may delete
	for (const [client, deletes] of a.ds) {
		const end = Math.max(index.stateVector.get(client) ?? 0, a.ranges.get(client)?.end ?? 0);
		let total = 0;
		for (const d of deletes) {
			if (d.len < 1 || d.clock + d.len > end) refuse(ReasonCode.ClockGap, 'Update deletes changes the server does not have');
			total += d.len;
			if (total > MAX_DELETE_IDS) refuse(ReasonCode.TooLarge, 'Delete set too large');
		}
	}
	let changesServerState = false;
	forEachEffectiveDeletion(index, a, (client, _clock, local, entry) => {
		const where = local ? keyOf.get(local) : entry;
		if (!local) changesServerState = true;
		if (!where) return; // an update's own deleted leftover of unknown key
		const ek = entryKey(where.root, where.key);
		// a moderator's removal replaces the live value: Y.Map deletes the old item, which is allowed then only
		if (ruleOf(lane, where.root).authorField !== undefined && ownerOf(client) !== actorId && !moderatedKeys.has(ek)) {
			refuse(ReasonCode.NotOwner, 'You can only delete your own messages');
		}
		deletedKeys.add(ek);
	});
	for (const ek of deletedKeys) {
		if (liveKeys.has(ek) || !index.current.has(ek)) continue; // an overwrite, or nothing the server shows
		const root = ek.slice(0, ek.indexOf('\u0000'));
		if (!ruleOf(lane, root).removable) refuse(ReasonCode.Forbidden, 'These records cannot be deleted');
	}

	const duplicate = a.structs.length === 0 && !changesServerState;
	return { ok: true, update: diffed, duplicate, newBindings };
}

/** Checks a client's update against the index and the record rules. Never throws, never mutates the index. */
export function validateWrite(index: DocIndex, update: Uint8Array, ctx: WriteContext): WriteVerdict {
	try {
		return check(index, update, ctx);
	} catch (e) {
		if (e instanceof Refusal) return { ok: false, reason: e.reason, message: e.message };
		return { ok: false, reason: ReasonCode.Malformed, message: 'Update could not be checked' };
	}
}

/**
 * Folds an accepted update (or a stored one, at load time) into the index: state vector, bindings of
 * new client ids to `actorId`, the entry of every item, and the live value of every key. Throws on
 * bytes that do not decode (accepted updates always do).
 */
export function indexUpdate(index: DocIndex, update: Uint8Array, actorId: string): void {
	// only what the index does not have yet: stored updates may overlap
	const a = analyze(index, trimKnown(index, update, Y.decodeUpdate(update).structs as Struct[]), Infinity);
	for (const [client, range] of a.ranges) {
		if (!index.bindings.has(client)) index.bindings.set(client, actorId);
		index.stateVector.set(client, Math.max(index.stateVector.get(client) ?? 0, range.end));
	}
	// entries first, so the ds pass below can see this update's items
	const touched = new Map<string, string | null>(); // entryKey -> surviving item id, or null: no live value of its own
	for (const s of a.structs) {
		if (!(s instanceof Y.Item)) continue;
		const where = a.resolve(s);
		if (!where.ok) continue;
		const isAny = s.content instanceof Y.ContentAny;
		const origin = s.origin ? idKey(s.origin.client, s.origin.clock) : null;
		const entry = isAny ? { root: where.root, key: where.key, origin } : { root: where.root, key: where.key };
		for (let i = 0; i < s.length; i++) index.items.set(idKey(s.id.client, s.id.clock + i), entry);
		const ek = entryKey(where.root, where.key);
		const id = idKey(s.id.client, s.id.clock);
		const live = isAny && !a.isDeletedHere(s.id.client, s.id.clock) && !a.origins.has(id);
		if (live) {
			// concurrent writes from the same origin: Yjs keeps the one of the higher client id
			const current = touched.has(ek) ? undefined : index.current.get(ek);
			const rival = current === undefined ? undefined : index.items.get(current);
			const loses = rival !== undefined && rival.origin === origin && Number(current!.split(':')[0]) > s.id.client;
			if (!loses) touched.set(ek, id);
		} else if (!touched.has(ek)) touched.set(ek, null);
	}
	for (const [ek, id] of touched) {
		if (id !== null) index.current.set(ek, id);
		else index.current.delete(ek); // a deleted item appended last hides the older value (approximation for concurrent first sets)
	}
	forEachEffectiveDeletion(index, a, (client, clock, local, entry) => {
		const id = idKey(client, clock);
		const where = entry ?? (local ? index.items.get(id) : undefined);
		if (where && index.current.get(entryKey(where.root, where.key)) === id) index.current.delete(entryKey(where.root, where.key));
	});
}
