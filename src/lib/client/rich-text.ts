// Markdown-ish chat formatting (bold, italic, code, links, @mentions) parsed into plain segments
// that components render as text nodes: no HTML string is ever built, so nothing can inject markup.

/** One piece of a formatted message. */
export type Segment =
	| { type: 'text'; text: string }
	| { type: 'bold'; children: Segment[] }
	| { type: 'italic'; children: Segment[] }
	| { type: 'code'; text: string }
	| { type: 'link'; text: string; href: string }
	| { type: 'mention'; name: string; userId: string };

/** Only web and mail links become anchors; `javascript:` and friends stay text. */
function safeHref(raw: string): string | null {
	try {
		const url = new URL(raw);
		return url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === 'mailto:' ? url.href : null;
	} catch {
		return null;
	}
}

interface Rule {
	re: RegExp;
	build: (m: RegExpExecArray, mentions: Mentionable[]) => Segment | null;
}

/** A person who may be highlighted as `@Name`. */
export interface Mentionable {
	id: string;
	name: string;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function rules(mentions: Mentionable[]): Rule[] {
	const list: Rule[] = [
		{ re: /`([^`\n]+)`/y, build: (m) => ({ type: 'code', text: m[1] }) },
		{
			re: /\[([^\]\n]{1,200})\]\(([^)\s]{1,2000})\)/y,
			build: (m) => {
				const href = safeHref(m[2]);
				return href ? { type: 'link', text: m[1], href } : null;
			}
		},
		{ re: /\*\*([^*\n](?:[^\n]*?[^*\n])?)\*\*/y, build: (m, ms) => ({ type: 'bold', children: parseRichText(m[1], ms) }) },
		{ re: /\*([^*\s](?:[^*\n]*?[^*\s])?)\*/y, build: (m, ms) => ({ type: 'italic', children: parseRichText(m[1], ms) }) },
		{ re: /_([^_\s](?:[^_\n]*?[^_\s])?)_(?![A-Za-z0-9])/y, build: (m, ms) => ({ type: 'italic', children: parseRichText(m[1], ms) }) },
		{
			re: /https?:\/\/[^\s<>()]+[^\s<>().,;:!?'"]/y,
			build: (m) => {
				const href = safeHref(m[0]);
				return href ? { type: 'link', text: m[0], href } : null;
			}
		}
	];
	// longest names first, so "@Ann Lee" wins over "@Ann"
	for (const person of [...mentions].sort((a, b) => b.name.length - a.name.length)) {
		list.push({ re: new RegExp(`@${escapeRe(person.name)}(?![\\p{L}\\p{N}])`, 'yu'), build: () => ({ type: 'mention', name: person.name, userId: person.id }) });
	}
	return list;
}

/** Parses a chat message; `mentions` are the people the message mentions (by id), with their names. */
export function parseRichText(text: string, mentions: Mentionable[] = []): Segment[] {
	const out: Segment[] = [];
	const rs = rules(mentions);
	let plain = '';
	let i = 0;
	outer: while (i < text.length) {
		const ch = text[i];
		// a rule may start only at a marker character, and not in the middle of a word (snake_case stays text)
		if ('`[*_h@'.includes(ch) && !(ch === '_' && i > 0 && /[A-Za-z0-9]/.test(text[i - 1]))) {
			for (const rule of rs) {
				rule.re.lastIndex = i;
				const m = rule.re.exec(text);
				if (!m) continue;
				const seg = rule.build(m, mentions);
				if (!seg) continue;
				if (plain) out.push({ type: 'text', text: plain });
				plain = '';
				out.push(seg);
				i += m[0].length;
				continue outer;
			}
		}
		plain += ch;
		i++;
	}
	if (plain) out.push({ type: 'text', text: plain });
	return out;
}

/** The plain text of segments (snippets, notifications). */
export function toPlainText(segments: Segment[]): string {
	return segments
		.map((s) => (s.type === 'text' || s.type === 'code' || s.type === 'link' ? s.text : s.type === 'mention' ? `@${s.name}` : toPlainText(s.children)))
		.join('');
}

/** Text for email (plain text mail): formatting marks dropped, a link's address kept after its text. */
export function toMailText(text: string): string {
	const flat = (segments: Segment[]): string =>
		segments
			.map((s) =>
				s.type === 'text' || s.type === 'code'
					? s.text
					: s.type === 'link'
						? s.text === s.href || s.text + '/' === s.href
							? s.text
							: `${s.text} (${s.href})`
						: s.type === 'mention'
							? `@${s.name}`
							: flat(s.children)
			)
			.join('');
	return flat(parseRichText(text));
}
