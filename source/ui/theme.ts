/**
 * Colours and glyphs. Colour only ever repeats what a sign or a glyph already says (helps "+", hurts "-", the
 * selection "›"), so NO_COLOR and monochrome terminals lose nothing. Without a UTF-8 locale the glyphs fall back to
 * ASCII, so a bare SSH session still draws bars and markers.
 */
import {createContext} from 'react';

/** Named colours; undefined when colour is off. */
export type Palette = {
	/** Helps, better, done. */
	good?: string;
	/** Hurts, worse, errors. */
	bad?: string;
	/** Headings and the focused pane. */
	accent?: string;
	/** Secondary text. */
	muted?: string;
	/** Warnings and work in progress. */
	warn?: string;
};

/** Glyphs drawn by the components. */
export type Glyphs = {
	/** Marks the selected row. */
	cursor: string;
	/** A filled cell of a progress bar. */
	barFull: string;
	/** An empty cell of a progress bar. */
	barEmpty: string;
	/** Spinner frames. */
	spinner: readonly string[];
	/** A segment marked for the next edit. */
	marked: string;
	/** A frozen segment. */
	frozen: string;
	/** A segment chosen for editing this round. */
	target: string;
	/** Judges agree on this candidate as the top pick. */
	agree: string;
	/** Arrow in diffs and loss changes. */
	arrow: string;
	/** Horizontal rule. */
	rule: string;
	/** The chart's value axis. */
	axisY: string;
	/** The chart's round axis. */
	axisX: string;
	/** Chart markers, one per judge. */
	markers: readonly string[];
	/** Ellipsis for truncated text. */
	ellipsis: string;
	/** A negligible value. */
	dot: string;
	/** Between items on a line. */
	sep: string;
	/** A change ("Δ"). */
	delta: string;
	/** Content above (a scrolled pane). */
	up: string;
	/** Content below. */
	down: string;
	/** An output equal to the reference. */
	match: string;
	/** An output that differs from the reference. */
	miss: string;
};

/** Everything the components need to draw. */
export type Theme = {
	/** Colours (all undefined when colour is off). */
	color: Palette;
	/** Whether colour is on. */
	colorful: boolean;
	/** The glyph set. */
	glyphs: Glyphs;
};

const unicode: Glyphs = {
	cursor: '›',
	barFull: '█',
	barEmpty: '░',
	spinner: ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'],
	marked: '●',
	frozen: '❄',
	target: '✎',
	agree: '✓',
	arrow: '→',
	rule: '─',
	axisY: '│',
	axisX: '─',
	markers: ['●', '○', '▲', '◆', '■', '×'],
	ellipsis: '…',
	dot: '·',
	sep: ' · ',
	delta: 'Δ',
	up: '↑',
	down: '↓',
	match: '✓',
	miss: '✗',
};

const ascii: Glyphs = {
	cursor: '>',
	barFull: '#',
	barEmpty: '.',
	spinner: ['|', '/', '-', '\\'],
	marked: '*',
	frozen: '#',
	target: 'E',
	agree: '=',
	arrow: '->',
	rule: '-',
	axisY: '|',
	axisX: '-',
	markers: ['o', 'x', '+', '*', '#', '@'],
	ellipsis: '~',
	dot: '.',
	sep: ' | ',
	delta: 'chg',
	up: '^',
	down: 'v',
	match: 'y',
	miss: 'n',
};

const colours: Palette = {good: 'green', bad: 'red', accent: 'cyan', muted: 'gray', warn: 'yellow'};

/** How to draw: with colour or without, Unicode glyphs or ASCII. */
export type ThemeOptions = {
	/** Use colour. */
	color: boolean;
	/** Use Unicode glyphs. */
	unicode: boolean;
};

/** A theme. */
export function makeTheme(options: ThemeOptions): Theme {
	return {color: options.color ? colours : {}, colorful: options.color, glyphs: options.unicode ? unicode : ascii};
}

/**
 * What the environment asks for: NO_COLOR (any non-empty value, as no-color.org says) or TERM=dumb turn colour off;
 * a locale without UTF-8 turns the glyphs to ASCII.
 */
export function themeOptionsFromEnv(env: NodeJS.ProcessEnv, flags: {color?: boolean} = {}): ThemeOptions {
	const noColor = (env.NO_COLOR !== undefined && env.NO_COLOR !== '') || env.TERM === 'dumb' || flags.color === false;
	const locale = env.LC_ALL || env.LC_CTYPE || env.LANG || '';
	return {color: !noColor, unicode: /utf-?8/i.test(locale)};
}

/** The theme in use; components read it with useTheme(). */
export const ThemeContext = createContext<Theme>(makeTheme({color: true, unicode: true}));
