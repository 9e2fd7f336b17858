/**
 * How the round screen is laid out for one render, before anything is drawn: the header's lines, the status
 * message and its lines, the heatmap title's lines, then the rows left for the heatmap, the candidates and the
 * detail pane. Pure, so the key handlers (page size, scroll limits) and the screen agree on the same numbers.
 */
import type {RoundView} from '../engine/index.js';
import type {Chunk} from './flow.js';
import {flowChunks} from './flow.js';
import {headerLines, type HeaderStyle} from './header.js';
import {agreementText} from './heat.js';
import {roundLayout, type RoundLayout} from './layout.js';
import {windowStart} from './scroll.js';
import {statusHeight} from './status-line.js';
import type {Glyphs} from './theme.js';
import type {Message, TuiState} from './tui-state.js';

/** A piece of the heatmap title. */
export type TitleStyle = 'heading' | 'muted';

/** The round screen's parts and their sizes. */
export type RoundFrame = {
	/** Header lines. */
	header: Chunk<HeaderStyle>[][];
	/** The status line's message (when no work is in progress). */
	message?: Message;
	/** The heatmap's title lines. */
	heatTitle: Chunk<TitleStyle>[][];
	/** Rows for the heatmap, the candidates and the detail pane. */
	layout: RoundLayout;
};

/** What the frame needs besides the engine's state. */
export type FrameInput = {
	/** Task name. */
	task: string;
	/** Session id. */
	session: string;
	/** Terminal width and height. */
	size: {columns: number; rows: number};
	/** The heatmap's lens. */
	lens: string;
	/** Whether the heatmap has the keyboard. */
	focused: boolean;
	/** The selected segment (the heatmap scrolls to keep it in view). */
	selectedSegment?: string;
	/** Lines of what replaces the status line (an inline edit, a question), if anything does. */
	replaced?: number;
	/** Shown on the header before the first round (e.g. the judges' context). */
	starting?: string;
	/** Glyphs. */
	glyphs: Glyphs;
};

/** The status message: an error, the cancelled work to redo, what to decide, or the latest message. */
export function statusMessage(state: TuiState): Message | undefined {
	const view = state.view;
	if (view?.error) return {level: 'error', text: view.error.message};
	if (view?.cancelled) return {level: 'warn', text: `${view.cancelled} was cancelled: r redoes the missing work, or decide with what is there`};
	const message = state.messages.at(-1);
	if (state.status === 'awaiting-decision' && !message) return {level: 'info', text: 'your decision: a accepts the top pick, Enter the selected one, ? lists every key'};
	return message;
}

/** The status of the per-example screen: its work, a cancelled generation, or a warning; not the round's prompts. */
export function examplesMessage(state: TuiState): Message | undefined {
	const view = state.view;
	if (view?.error) return {level: 'error', text: view.error.message};
	if (view?.cancelled === 'generation') return {level: 'warn', text: 'greedy outputs were cancelled: x twice asks for them again'};
	const last = state.messages.at(-1);
	return last && last.level !== 'info' ? last : {level: 'info', text: 'x goes back to the round; the losses are known, greedy outputs are generated here'};
}

/** The heatmap title: the lens, the method, the judges' agreement, the rows shown, what the signs mean. */
export function heatTitle(
	view: RoundView | undefined,
	input: Pick<FrameInput, 'lens' | 'focused' | 'glyphs'> & {range?: {first: number; last: number; count: number}},
	width: number,
): Chunk<TitleStyle>[][] {
	const {glyphs} = input;
	const importance = view?.importance;
	const chunks: Chunk<TitleStyle>[] = [
		{text: `${input.focused ? glyphs.cursor : ' '} Prompt`, style: 'heading'},
		{text: importance ? `${input.lens} (v, ${importance.method})` : 'not attributed yet', style: 'muted'},
	];
	const agreement = agreementText(importance);
	if (agreement) chunks.push({text: agreement, style: 'muted'});
	if (input.range) chunks.push({text: `${input.range.first}-${input.range.last} of ${input.range.count}`, style: 'muted'});
	chunks.push({text: `+helps -hurts ${glyphs.dot}negligible`, style: 'muted'});
	return flowChunks(chunks, width);
}

/** The frame of the round screen. */
export function roundFrame(state: TuiState, input: FrameInput): RoundFrame {
	const view = state.view;
	const width = input.size.columns;
	const header = headerLines(
		{
			task: input.task,
			session: input.session,
			round: state.round,
			losses: view?.current ?? {},
			test: view?.test,
			testInitial: view?.testInitial,
			selection: view?.selection ?? [],
			heldout: view?.heldout ?? [],
			budget: view?.budget,
			starting: input.starting,
			alarm: view?.alarm,
		},
		width,
		input.glyphs,
	);
	const message = statusMessage(state);
	const status = input.replaced ?? statusHeight(state.progress, message, width);
	const segments = view?.segments.length ?? 0;
	const candidates = view?.candidates.length ?? 0;
	const chrome = (title: number) => header.length + status + 1 + title + 1;
	let layout = roundLayout(input.size.rows, segments, candidates, chrome(heatTitle(view, input, width).length));
	if (segments > layout.segments) {
		// The heatmap scrolls: its title names the rows shown, measured at their widest so it does not change height.
		const widest = {first: segments, last: segments, count: segments};
		layout = roundLayout(input.size.rows, segments, candidates, chrome(heatTitle(view, {...input, range: widest}, width).length));
	}
	let range: {first: number; last: number; count: number} | undefined;
	if (segments > layout.segments) {
		const first = windowStart(segments, layout.segments, Math.max(0, view!.segments.findIndex(s => s.id === input.selectedSegment)));
		range = {first: first + 1, last: first + layout.segments, count: segments};
	}
	return {header, message, heatTitle: heatTitle(view, {...input, range}, width), layout};
}
