/**
 * A small line chart as standalone SVG text (no script, no external font or stylesheet), for the loss of one judge
 * over rounds. Each series is a polyline with a marker per point; the axes carry the round numbers and the loss
 * range, and a legend names the series.
 */

/** One line of the chart. */
export type Series = {
	/** Legend label. */
	label: string;
	/** Stroke colour (CSS colour). */
	colour: string;
	/** Points: x (round) and y (loss); non-finite ys are skipped. */
	points: {x: number; y: number}[];
};

const WIDTH = 520;
const HEIGHT = 220;
const MARGIN = {left: 56, right: 16, top: 28, bottom: 36};

/** Escapes text for XML content and attributes. */
export function escapeXml(text: string): string {
	return text.replace(/[&<>"']/g, c => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;'})[c]!);
}

function fmt(x: number): string {
	return Number.isInteger(x) ? String(x) : x.toFixed(Math.abs(x) < 10 ? 3 : 1);
}

/** Renders a chart; an empty chart says there is nothing to show. */
export function lineChart(title: string, series: readonly Series[], axis: {x: string; y: string}): string {
	const visible = series.map(s => ({...s, points: s.points.filter(p => Number.isFinite(p.x) && Number.isFinite(p.y))}));
	const all = visible.flatMap(s => s.points);
	const head = `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${escapeXml(title)}">`;
	const titleText = `<text x="${WIDTH / 2}" y="16" text-anchor="middle" font-family="sans-serif" font-size="13">${escapeXml(title)}</text>`;
	if (all.length === 0) {
		return `${head}${titleText}<text x="${WIDTH / 2}" y="${HEIGHT / 2}" text-anchor="middle" font-family="sans-serif" font-size="12">no losses recorded</text></svg>\n`;
	}
	let [x0, x1] = [Math.min(...all.map(p => p.x)), Math.max(...all.map(p => p.x))];
	let [y0, y1] = [Math.min(...all.map(p => p.y)), Math.max(...all.map(p => p.y))];
	if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
	const pad = y0 === y1 ? Math.max(Math.abs(y0) * 0.1, 0.1) : (y1 - y0) * 0.08;
	[y0, y1] = [y0 - pad, y1 + pad];
	const plotW = WIDTH - MARGIN.left - MARGIN.right;
	const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
	const sx = (x: number) => MARGIN.left + ((x - x0) / (x1 - x0)) * plotW;
	const sy = (y: number) => MARGIN.top + (1 - (y - y0) / (y1 - y0)) * plotH;
	const n = (v: number) => v.toFixed(1);
	const parts: string[] = [head, titleText];
	const bottom = MARGIN.top + plotH;
	parts.push(`<line x1="${MARGIN.left}" y1="${bottom}" x2="${MARGIN.left + plotW}" y2="${bottom}" stroke="#444"/>`);
	parts.push(`<line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${bottom}" stroke="#444"/>`);
	for (const y of [y0 + pad, y1 - pad]) {
		parts.push(`<text x="${MARGIN.left - 6}" y="${n(sy(y) + 4)}" text-anchor="end" font-family="sans-serif" font-size="10">${fmt(y)}</text>`);
	}
	const xs = [...new Set(all.map(p => p.x))].sort((a, b) => a - b);
	const step = Math.max(1, Math.ceil(xs.length / 12));
	xs.filter((_, i) => i % step === 0).forEach(x => {
		parts.push(`<text x="${n(sx(x))}" y="${bottom + 14}" text-anchor="middle" font-family="sans-serif" font-size="10">${fmt(x)}</text>`);
	});
	parts.push(`<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 4}" text-anchor="middle" font-family="sans-serif" font-size="11">${escapeXml(axis.x)}</text>`);
	parts.push(`<text x="12" y="${MARGIN.top + plotH / 2}" text-anchor="middle" font-family="sans-serif" font-size="11" transform="rotate(-90 12 ${MARGIN.top + plotH / 2})">${escapeXml(axis.y)}</text>`);
	visible.forEach((s, i) => {
		if (s.points.length === 0) return;
		const colour = escapeXml(s.colour);
		const coords = s.points.map(p => `${n(sx(p.x))},${n(sy(p.y))}`).join(' ');
		parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${coords}"/>`);
		for (const p of s.points) parts.push(`<circle cx="${n(sx(p.x))}" cy="${n(sy(p.y))}" r="3" fill="${colour}"/>`);
		const ly = MARGIN.top + 4 + i * 14;
		parts.push(`<line x1="${WIDTH - 150}" y1="${ly}" x2="${WIDTH - 134}" y2="${ly}" stroke="${colour}" stroke-width="2"/>`);
		parts.push(`<text x="${WIDTH - 130}" y="${ly + 4}" font-family="sans-serif" font-size="10">${escapeXml(s.label)}</text>`);
	});
	parts.push('</svg>');
	return `${parts.join('\n')}\n`;
}
