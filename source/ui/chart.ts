/**
 * A line chart in text: one marker glyph per series (so series are told apart without colour), a value axis with
 * the top, middle and bottom values, and the x positions labelled. Pure: returns the lines.
 */

/** One series: a value per x position (undefined = no point). */
export type Series = {
	/** Name, for the legend. */
	name: string;
	/** Values in x order. */
	values: (number | undefined)[];
};

/** A drawn chart. */
export type Chart = {
	/** The lines, axis labels included. */
	lines: string[];
	/** The marker of each series, in order. */
	markers: string[];
};

/** Glyphs the chart is drawn with. */
export type ChartGlyphs = {
	/** The value axis. */
	axisY: string;
	/** The round axis. */
	axisX: string;
	/** One marker per series, in order (repeated when there are more series). */
	markers: readonly string[];
};

/** Plots `series` over x labels `xs` in `height` rows (plus the x axis and its labels) and `width` columns. */
export function plotChart(series: readonly Series[], xs: readonly string[], height: number, width: number, glyphs: ChartGlyphs): Chart {
	const markers = series.map((_, i) => glyphs.markers[i % glyphs.markers.length]);
	const values = series.flatMap(s => s.values.filter((v): v is number => v !== undefined && Number.isFinite(v)));
	const rows = Math.max(2, height);
	if (values.length === 0 || xs.length === 0) return {lines: ['(no losses recorded yet)'], markers};
	let min = Math.min(...values);
	let max = Math.max(...values);
	if (max - min < 1e-9) {
		min -= 0.5;
		max += 0.5;
	}
	// The value axis is as wide as its widest label, plus a space.
	const LABEL = Math.max(max.toFixed(3).length, min.toFixed(3).length) + 1;
	const plotWidth = Math.max(4, width - LABEL - 1);
	const column = (i: number) => (xs.length === 1 ? 0 : Math.round((i * (plotWidth - 1)) / (xs.length - 1)));
	const row = (v: number) => Math.round(((max - v) / (max - min)) * (rows - 1));
	const grid = Array.from({length: rows}, () => new Array<string>(plotWidth).fill(' '));
	series.forEach((s, k) =>
		s.values.forEach((v, i) => {
			if (v === undefined || !Number.isFinite(v) || i >= xs.length) return;
			const cell = grid[row(v)];
			const c = column(i);
			// Two judges on the same cell: "*" says so rather than hiding one.
			cell[c] = cell[c] === ' ' || cell[c] === markers[k] ? markers[k] : '*';
		}),
	);
	const label = (r: number) => {
		if (r === 0) return max.toFixed(3);
		if (r === rows - 1) return min.toFixed(3);
		if (r === Math.floor((rows - 1) / 2) && rows >= 5) return (max - ((max - min) * r) / (rows - 1)).toFixed(3);
		return '';
	};
	const lines = grid.map((cells, r) => `${label(r).padStart(LABEL - 1)} ${glyphs.axisY}${cells.join('')}`);
	lines.push(`${' '.repeat(LABEL)}${glyphs.axisY}${glyphs.axisX.repeat(plotWidth)}`);
	const axis = new Array<string>(plotWidth + 1).fill(' ');
	let free = 0;
	xs.forEach((x, i) => {
		const c = column(i);
		// Labels that would overlap are skipped (the points still show).
		if (c < free) return;
		for (let j = 0; j < x.length && c + j < axis.length; j++) axis[c + j] = x[j];
		free = c + x.length + 1;
	});
	lines.push(`${' '.repeat(LABEL + 1)}${axis.join('')}`.trimEnd());
	return {lines, markers};
}
