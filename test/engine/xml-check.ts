/**
 * A strict little XML well-formedness check for the SVG the reports embed (there is no XML parser among the
 * dependencies): one root element, tags balanced and properly nested, attributes quoted and unique, and no raw "<"
 * or stray "&" in text or attribute values. Returns the problems found (empty when well-formed).
 */
const ENTITY = /^&(?:amp|lt|gt|quot|apos|#\d+|#x[\da-fA-F]+);/;

function badAmpersand(text: string): boolean {
	for (let i = text.indexOf('&'); i >= 0; i = text.indexOf('&', i + 1)) if (!ENTITY.test(text.slice(i))) return true;
	return false;
}

export function xmlProblems(xml: string): string[] {
	const problems: string[] = [];
	const stack: string[] = [];
	let roots = 0;
	let i = 0;
	const text = (t: string) => {
		if (t.trim() !== '' && stack.length === 0) problems.push(`text outside the root: ${JSON.stringify(t.slice(0, 20))}`);
		if (badAmpersand(t)) problems.push(`stray & in text: ${JSON.stringify(t.slice(0, 40))}`);
	};
	while (i < xml.length) {
		const open = xml.indexOf('<', i);
		if (open < 0) {
			text(xml.slice(i));
			break;
		}
		text(xml.slice(i, open));
		if (xml.startsWith('<!--', open)) {
			const end = xml.indexOf('-->', open);
			if (end < 0) return [...problems, 'unclosed comment'];
			i = end + 3;
			continue;
		}
		if (xml.startsWith('<?', open)) {
			const end = xml.indexOf('?>', open);
			if (end < 0) return [...problems, 'unclosed declaration'];
			i = end + 2;
			continue;
		}
		const close = xml.indexOf('>', open);
		if (close < 0) return [...problems, 'unclosed tag'];
		const tag = xml.slice(open + 1, close);
		i = close + 1;
		if (tag.startsWith('/')) {
			const name = tag.slice(1).trim();
			const top = stack.pop();
			if (top !== name) problems.push(`</${name}> closes <${top ?? 'nothing'}>`);
			continue;
		}
		const selfClosing = tag.endsWith('/');
		const body = selfClosing ? tag.slice(0, -1) : tag;
		const m = /^([A-Za-z_][\w:.-]*)([\s\S]*)$/.exec(body);
		if (!m) {
			problems.push(`bad tag <${tag.slice(0, 30)}>`);
			continue;
		}
		const [, name, rest] = m;
		const attrs = rest.trim();
		const seen = new Set<string>();
		const attr = /([A-Za-z_][\w:.-]*)\s*=\s*("([^"<]*)"|'([^'<]*)')\s*/y;
		let pos = 0;
		while (pos < attrs.length) {
			attr.lastIndex = pos;
			const a = attr.exec(attrs);
			if (!a) {
				problems.push(`bad attributes in <${name}>: ${JSON.stringify(attrs.slice(pos, pos + 30))}`);
				break;
			}
			if (seen.has(a[1])) problems.push(`attribute ${a[1]} twice in <${name}>`);
			seen.add(a[1]);
			if (badAmpersand(a[3] ?? a[4] ?? '')) problems.push(`stray & in attribute ${a[1]}`);
			pos = attr.lastIndex;
		}
		if (stack.length === 0) roots++;
		if (!selfClosing) stack.push(name);
	}
	if (stack.length > 0) problems.push(`unclosed <${stack.join('>, <')}>`);
	if (roots !== 1) problems.push(`${roots} root elements`);
	return problems;
}
