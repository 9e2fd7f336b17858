/**
 * What the keys do on the round, history and per-example screens: navigation and view changes stay in the UI;
 * decisions go to the engine through `submit` (only while it awaits one: the engine decides what a decision means,
 * saves it, and only then moves on); Esc cancels the engine's work in progress. Every key comes from the key map.
 */
import type {Key} from 'ink';
import type {Decision} from '../engine/index.js';
import type {TuiEngine} from './engine-port.js';
import {lenses} from './heat.js';
import {actionFor} from './keys.js';
import type {RoundCursor} from './round-cursor.js';
import {moveSelection} from './scroll.js';
import type {TuiState} from './tui-state.js';
import {useKeyQueue} from './use-key-queue.js';

/** The screens of a running session. */
export type SessionMode = {
	/** The screen shown. */
	screen: 'round' | 'history' | 'examples';
	/** Whether the help overlay is open. */
	help: boolean;
	/** Lines of the help overlay scrolled past. */
	helpOffset?: number;
	/** An inline edit: the segment, its text, and keys typed after the one that opened it. */
	edit?: {segment: string; text: string; typed?: string};
	/** The candidates filter: its text, and whether it is being typed (keys typed after "/" in `typed`). */
	filter?: {query: string; typing: boolean; typed?: string};
	/** A yes/no question, and the decision a yes submits. */
	confirm?: {question: string; decision: Decision};
};

/** Scrollable lists, by screen. */
export type Scroller = (list: 'history' | 'examples' | 'detail', delta: number) => void;

/** What the key handler reads and changes. */
export type RoundKeysContext = {
	/** The engine. */
	engine: TuiEngine;
	/** What the engine said. */
	state: TuiState;
	/** Selection with defaults applied (the ids shown as selected), as of the last key. */
	cursor: () => RoundCursor;
	/** Changes the selection. */
	setCursor: (update: (cursor: RoundCursor) => RoundCursor) => void;
	/** The candidate ids shown (the filter applied), in order. */
	candidateIds: () => string[];
	/** The screen, the help overlay, an inline edit, as of the last key. */
	mode: () => SessionMode;
	/** Changes the mode. */
	setMode: (update: (mode: SessionMode) => SessionMode) => void;
	/** Scrolls a list. */
	scroll: Scroller;
	/** Rows a page moves. */
	page: number;
	/** Lines the help overlay can scroll. */
	helpMax: () => number;
	/** Says something in the status line. */
	notify: (text: string | undefined) => void;
	/** Opens the whole prompt in $EDITOR; the new text, or undefined when unchanged or aborted. */
	editPrompt: (text: string) => Promise<string | undefined>;
	/** Leaves the app (after the run ended). */
	exit: () => void;
	/** Whether the run has ended. */
	ended: boolean;
	/** Whether keys are taken by something else (an inline edit, the filter field). */
	active: boolean;
};

/** Binds the keys of a running session. */
export function useRoundKeys(ctx: RoundKeysContext): void {
	useKeyQueue((input, key, takeRest) => handleKey(ctx, input, key, takeRest), ctx.active);
}

const FAR = 1_000_000;

/** What one key press does. */
function handleKey(ctx: RoundKeysContext, input: string, key: Key, takeRest: () => string): void {
	const {engine, state, notify} = ctx;
	const cursor = ctx.cursor();
	const mode = ctx.mode();
	// A key that opened a text field took the keys after it; any later ones arrive once the field listens.
	if (mode.edit || mode.filter?.typing) return;
	const deciding = (): boolean => {
		if (!ctx.ended && engine.status === 'awaiting-decision') return true;
		notify(state.progress ? `wait for the ${state.progress.phase} to finish, or Esc to cancel it` : 'nothing to decide right now');
		return false;
	};
	const submit = (decision: Decision): boolean => {
		if (!deciding()) return false;
		if (engine.submit(decision)) return true;
		notify('that decision was already taken');
		return false;
	};
	if (mode.confirm) {
		const answer = actionFor('confirm', input, key);
		if (answer === 'yes') {
			ctx.setMode(m => ({...m, confirm: undefined}));
			submit(mode.confirm.decision);
		} else if (answer === 'no') {
			ctx.setMode(m => ({...m, confirm: undefined}));
			notify('nothing changed');
		}
		return;
	}
	const scope = mode.screen;
	const action = actionFor(scope, input, key);
	if (!action) return;
	notify(undefined);
	const view = state.view;
	const segment = view?.segments.find(s => s.id === cursor.segment);
	const move = (delta: number) => {
		if (mode.help) return ctx.setMode(m => ({...m, helpOffset: Math.max(0, Math.min(ctx.helpMax(), (m.helpOffset ?? 0) + delta))}));
		if (scope !== 'round') return ctx.scroll(scope, delta);
		const ids = cursor.pane === 'candidates' ? ctx.candidateIds() : (view?.segments ?? []).map(s => s.id);
		const next = moveSelection(ids, cursor.pane === 'candidates' ? cursor.candidate : cursor.segment, delta);
		ctx.setCursor(c => (c.pane === 'candidates' ? {...c, candidate: next} : {...c, segment: next}));
	};
	switch (action) {
		case 'up':
			return move(-1);
		case 'down':
			return move(1);
		case 'page-up':
			return move(-ctx.page);
		case 'page-down':
			return move(ctx.page);
		case 'top':
			return move(-FAR);
		case 'bottom':
			return move(FAR);
		case 'focus':
			return ctx.setCursor(c => ({...c, pane: c.pane === 'candidates' ? 'segments' : 'candidates'}));
		case 'help':
			return ctx.setMode(m => ({...m, help: !m.help, helpOffset: 0}));
		case 'history':
			if (scope === 'history' && !view) return notify('there is no round to go back to: the run has ended (q quits)');
			return ctx.setMode(m => ({...m, help: false, screen: m.screen === 'history' ? 'round' : 'history'}));
		case 'examples': {
			if (scope === 'examples') return ctx.setMode(m => ({...m, help: false, screen: 'round'}));
			if (!view) return notify('no round yet');
			const candidate = view.candidates.find(c => c.id === cursor.candidate && c.losses !== undefined)?.id;
			// The engine generates the greedy outputs (a decision it awaits, so it runs between the round's steps).
			if (submit({kind: 'examples', candidate})) ctx.setMode(m => ({...m, help: false, screen: 'examples'}));
			return;
		}
		case 'detail-up':
			return ctx.scroll('detail', -1);
		case 'detail-down':
			return ctx.scroll('detail', 1);
		case 'lens': {
			const all = lenses(view?.importance);
			return ctx.setCursor(c => ({...c, lens: all[(all.indexOf(c.lens) + 1) % all.length]}));
		}
		case 'filter':
			return ctx.setMode(m => ({...m, filter: {query: m.filter?.query ?? '', typing: true, typed: takeRest()}}));
		case 'cancel':
			if (mode.help) return ctx.setMode(m => ({...m, help: false}));
			if (mode.filter && !engine.cancel()) return ctx.setMode(m => ({...m, filter: undefined}));
			if (!engine.cancel()) notify('no work in progress to cancel');
			return;
		case 'quit':
			if (ctx.ended) return ctx.exit();
			// Deciding, "quit" is a decision the engine records; while it works, the run is stopped.
			if (engine.status === 'awaiting-decision') {
				submit({kind: 'quit'});
				return;
			}
			return engine.stop('quit');
		case 'accept':
			submit({kind: 'accept'});
			return;
		case 'pick': {
			if (cursor.pane === 'segments') {
				if (segment && deciding()) ctx.setMode(m => ({...m, edit: {segment: segment.id, text: segment.text.trim(), typed: takeRest()}}));
				return;
			}
			const chosen = view?.candidates.find(c => c.id === cursor.candidate);
			if (!chosen) return notify('no candidate selected');
			submit(chosen.rank === 1 ? {kind: 'accept'} : {kind: 'pick', candidate: chosen.id});
			return;
		}
		case 'edit':
			if (!segment) return notify('no segment selected');
			if (!deciding()) return;
			return ctx.setMode(m => ({...m, edit: {segment: segment.id, text: segment.text.trim(), typed: takeRest()}}));
		case 'editor':
			if (!view || !deciding()) return;
			void ctx.editPrompt(view.prompt).then(
				text => (text === undefined ? notify('prompt unchanged') : submit({kind: 'edit-prompt', prompt: text})),
				(error: unknown) => notify(`could not open the editor: ${error instanceof Error ? error.message : String(error)}`),
			);
			return;
		case 'undo': {
			const last = engine.session.state.accepted.at(-1);
			if (!last) return notify('there is nothing to undo: no accepted change is in effect');
			if (!deciding()) return;
			const what = last.action === 'edit' ? 'your hand edit' : `${last.candidate}`;
			return ctx.setMode(m => ({...m, confirm: {question: `undo round ${last.round}'s change (${what})? This round starts again on the prompt before it.`, decision: {kind: 'undo'}}}));
		}
		case 'freeze':
			if (!segment) return notify('no segment selected');
			submit({kind: 'freeze', segments: [segment.id], frozen: !segment.frozen});
			return;
		case 'mark':
			if (!segment) return;
			return ctx.setCursor(c => ({...c, marked: c.marked.includes(segment.id) ? c.marked.filter(id => id !== segment.id) : [...c.marked, segment.id]}));
		case 'target': {
			const chosen = cursor.marked.length > 0 ? cursor.marked : segment ? [segment.id] : [];
			if (chosen.length === 0) return notify('mark segments with Space first');
			if (submit({kind: 'target', segments: chosen})) ctx.setCursor(c => ({...c, marked: []}));
			return;
		}
		case 'regenerate':
			submit({kind: 'regenerate'});
			return;
		case 'skip':
			submit({kind: 'skip'});
			return;
	}
}
