/**
 * ink-table for ink 6, and the plain data tables drawn with it (sessions, per-judge scores, command output).
 *
 * Why the shim: ink-table 3 is CommonJS and require()s 'ink', and Node cannot require() ink 6, an ES module graph
 * with top-level await (yoga-layout's WebAssembly), so loading it fails with ERR_REQUIRE_ASYNC_MODULE. Its
 * require('ink') is answered from require.cache instead: the ink module this process has already imported is put
 * there under the exact file ink-table's own require would resolve to, before ink-table is loaded. It is the same
 * module instance, so ink-table renders the app's own Box and Text. This module is the only one that loads
 * ink-table; the rest of the code uses DataTable or renderTable.
 */
import Module, {createRequire} from 'node:module';
import * as ink from 'ink';
import {Text} from 'ink';
import {memo, type ComponentType, type ReactNode} from 'react';
import {cellWidth, fit} from './wrap.js';

type TableModule = {default: ComponentType<{data: Record<string, string>[]; columns?: string[]; padding?: number; header?: ComponentType<{children?: ReactNode}>; cell?: ComponentType<{children?: ReactNode; column: number}>; skeleton?: ComponentType<{children?: ReactNode}>}>};

function loadInkTable(): TableModule['default'] {
	const require = createRequire(import.meta.url);
	const tableFile = require.resolve('ink-table');
	const inkFile = createRequire(tableFile).resolve('ink');
	if (!require.cache[inkFile]) {
		const seeded = new Module(inkFile);
		seeded.filename = inkFile;
		seeded.loaded = true;
		seeded.exports = ink;
		require.cache[inkFile] = seeded;
	}
	return (require('ink-table') as TableModule).default;
}

const InkTable = loadInkTable();

/** One column of a data table. */
export type TableColumn = {
	/** The key in each row, and the heading. */
	key: string;
	/** Right-aligned (numbers). */
	right?: boolean;
	/** Gives up width first when the table is too wide (free text). */
	flex?: boolean;
};

/** The column widths that fit `width` cells (padding 1 each side, plus borders when drawn); narrowest is 3. */
export function fitColumns(columns: readonly TableColumn[], rows: readonly Record<string, string>[], width: number, borders: boolean): number[] {
	const widths = columns.map(c => Math.max(cellWidth(c.key), ...rows.map(r => cellWidth(r[c.key] ?? ''))));
	const total = () => widths.reduce((s, w) => s + w + 2, 0) + (borders ? columns.length + 1 : 0);
	const order = [...columns.keys()].sort((a, b) => Number(Boolean(columns[b].flex)) - Number(Boolean(columns[a].flex)));
	// Flexible columns shrink first, then the widest of the others, one cell at a time.
	for (const group of [order.filter(i => columns[i].flex), order]) {
		while (total() > width) {
			const widest = group.reduce((best, i) => (widths[i] > (best < 0 ? -1 : widths[best]) ? i : best), -1);
			if (widest < 0 || widths[widest] <= 3) break;
			widths[widest]--;
		}
	}
	return widths;
}

/** Column widths by the rows they were taken from: tables drawn in parts, or redrawn as a list scrolls, measure once. */
const measured = new WeakMap<readonly Record<string, string>[], {width: number; borders: boolean; columns: readonly TableColumn[]; widths: number[]}>();

function widthsFor(columns: readonly TableColumn[], sizing: readonly Record<string, string>[], width: number, borders: boolean): number[] {
	const known = measured.get(sizing);
	if (known && known.width === width && known.borders === borders && known.columns === columns) return known.widths;
	const widths = fitColumns(columns, sizing, width, borders);
	measured.set(sizing, {width, borders, columns, widths});
	return widths;
}

function fitted(columns: readonly TableColumn[], rows: readonly Record<string, string>[], width: number, borders: boolean, sizing: readonly Record<string, string>[]): {heading: Record<string, string>; data: Record<string, string>[]} {
	const widths = widthsFor(columns, sizing, width, borders);
	const cell = (text: string, i: number) => fit(text, widths[i], columns[i].right);
	return {
		heading: Object.fromEntries(columns.map((c, i) => [c.key, cell(c.key, i)])),
		data: rows.map(r => Object.fromEntries(columns.map((c, i) => [c.key, cell(r[c.key] ?? '', i)]))),
	};
}

const Plain = ({children}: {children?: ReactNode}) => <Text>{children}</Text>;
const Bold = ({children}: {children?: ReactNode}) => <Text bold>{children}</Text>;
const NoSkeleton = () => null;

type Props = {
	/** Columns in order. */
	columns: readonly TableColumn[];
	/** Rows: a text per column key. */
	rows: readonly Record<string, string>[];
	/** Width in cells. */
	width: number;
	/** Draw the box lines (command output); without them a row is one line (screens). */
	borders?: boolean;
	/** The rows the column widths are taken from (default: rows), so a table drawn in parts keeps its columns. */
	sizing?: readonly Record<string, string>[];
};

/**
 * A data table: a heading line, then one line per row (plus ink-table's box lines when `borders`). Cells are cut
 * with an ellipsis to fit `width`; headings are the column keys, so they pass through ink-table's key handling as is.
 */
export const DataTable = memo(function DataTable({columns, rows, width, borders = false, sizing = rows}: Props) {
	const {heading, data} = fitted(columns, rows, width, borders, sizing);
	// ink-table takes its headings from the keys; the keys are padded to the column width so the heading line lines up.
	const keyed = data.map(r => Object.fromEntries(columns.map(c => [heading[c.key], r[c.key]])));
	return <InkTable data={keyed} columns={columns.map(c => heading[c.key])} padding={1} header={Bold} cell={Plain} skeleton={borders ? Plain : NoSkeleton} />;
});

/** A bordered table as text, for command output. */
export function renderTable(columns: readonly TableColumn[], rows: readonly Record<string, string>[], width = 120): string {
	return `${ink.renderToString(<DataTable columns={columns} rows={rows} width={width} borders />, {columns: width})}\n`;
}
