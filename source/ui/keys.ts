/**
 * The one key map: every shortcut of the TUI is defined here, and nowhere else. Screens ask `actionFor()` what a
 * key press means; the footer and the help overlay are generated from `KEY_MAP`, so they cannot drift from what the
 * keys do. No mouse: everything is reachable from the keyboard.
 */
import type {Key} from 'ink';

/** What a key press asks for. */
export type KeyAction =
	| 'up'
	| 'down'
	| 'page-up'
	| 'page-down'
	| 'top'
	| 'bottom'
	| 'filter'
	| 'undo'
	| 'examples'
	| 'delete'
	| 'rename'
	| 'yes'
	| 'no'
	| 'focus'
	| 'accept'
	| 'pick'
	| 'edit'
	| 'editor'
	| 'freeze'
	| 'mark'
	| 'target'
	| 'regenerate'
	| 'skip'
	| 'lens'
	| 'detail-up'
	| 'detail-down'
	| 'history'
	| 'help'
	| 'cancel'
	| 'quit';

/**
 * Where a binding applies: the round screen, the history screen, the per-example view, the session picker, the
 * screen shown while a run opens, and a yes/no question.
 */
export type KeyScope = 'round' | 'history' | 'examples' | 'picker' | 'loading' | 'confirm';

/** One key as Ink reports it: a printable input (with Ctrl or not), or one of Ink's named keys. */
export type KeySpec =
	| {/** The character. */ input: string; /** Held with Ctrl. */ ctrl?: boolean}
	| {/** The Key flag Ink sets. */ named: 'upArrow' | 'downArrow' | 'pageUp' | 'pageDown' | 'return' | 'escape' | 'tab'};

/** One shortcut. */
export type KeyBinding = {
	/** What it does. */
	action: KeyAction;
	/** The keys that trigger it. */
	keys: readonly KeySpec[];
	/** How the keys are written in the footer and the help ("a", "Enter"). */
	label: string;
	/** One word for the footer. */
	short: string;
	/** One line for the help overlay. */
	help: string;
	/** Screens where it applies. */
	scopes: readonly KeyScope[];
	/** Only while the engine awaits a decision (decisions need a round to decide on). */
	decision?: boolean;
	/** Shown in the footer (the others are in the help overlay). */
	footer?: boolean;
	/** Listed on the help line of the binding before it ("↑/k ↓/j  move the selection up / down"). */
	sameLine?: boolean;
	/** On the round screen, the pane whose footer shows it (both when absent). */
	pane?: 'candidates' | 'segments';
};

const key = (input: string): KeySpec => ({input});
const named = (name: Extract<KeySpec, {named: string}>['named']): KeySpec => ({named: name});

/** Every shortcut, in the order the help overlay lists them. */
export const KEY_MAP: readonly KeyBinding[] = [
	{action: 'up', keys: [named('upArrow'), key('k')], label: 'Up/k', short: 'up', help: 'move the selection (or scroll) up', scopes: ['round', 'history', 'examples', 'picker']},
	{action: 'down', keys: [named('downArrow'), key('j')], label: 'Down/j', short: 'down', help: 'move the selection (or scroll) down', scopes: ['round', 'history', 'examples', 'picker'], sameLine: true},
	{action: 'page-up', keys: [named('pageUp')], label: 'PgUp', short: 'page up', help: 'move a page up', scopes: ['round', 'history', 'examples', 'picker']},
	{action: 'page-down', keys: [named('pageDown')], label: 'PgDn', short: 'page down', help: 'move a page down', scopes: ['round', 'history', 'examples', 'picker'], sameLine: true},
	{action: 'top', keys: [key('g')], label: 'g', short: 'top', help: 'go to the top', scopes: ['round', 'history', 'examples', 'picker']},
	{action: 'bottom', keys: [key('G')], label: 'G', short: 'bottom', help: 'go to the bottom', scopes: ['round', 'history', 'examples', 'picker'], sameLine: true},
	{action: 'history', keys: [key('h')], label: 'h', short: 'history', help: 'switch between the round and the history (loss chart, current prompt, changes since the initial prompt, lineage)', scopes: ['round', 'history', 'examples'], footer: true},
	{action: 'examples', keys: [key('x')], label: 'x', short: 'examples', help: "per example: each judge's greedy output beside the reference, exact match and loss, for the current prompt and the selected candidate", scopes: ['round', 'examples'], footer: true},
	{action: 'filter', keys: [key('/')], label: '/', short: 'filter', help: 'filter the candidates by text (id, edit, rationale); Esc in the field clears it', scopes: ['round'], pane: 'candidates'},
	{action: 'focus', keys: [named('tab')], label: 'Tab', short: 'pane', help: 'switch between the candidates and the prompt segments', scopes: ['round'], footer: true},
	{action: 'accept', keys: [key('a')], label: 'a', short: 'accept', help: 'accept the top-ranked candidate (saved before the next round starts)', scopes: ['round'], decision: true, footer: true, pane: 'candidates'},
	{action: 'pick', keys: [named('return')], label: 'Enter', short: 'pick', help: 'apply the selected candidate (in the prompt pane: edit the segment; in the picker: open)', scopes: ['round', 'picker'], decision: true, footer: true, pane: 'candidates'},
	{action: 'edit', keys: [key('e')], label: 'e', short: 'edit', help: 'edit the selected segment inline (an empty text deletes it)', scopes: ['round'], decision: true, footer: true, pane: 'segments'},
	{action: 'editor', keys: [key('E')], label: 'E', short: '$EDITOR', help: 'edit the whole prompt in $EDITOR', scopes: ['round'], decision: true},
	{action: 'freeze', keys: [key('f')], label: 'f', short: 'freeze', help: 'freeze or unfreeze the selected segment (frozen segments are never edited)', scopes: ['round'], decision: true, footer: true, pane: 'segments'},
	{action: 'mark', keys: [key(' ')], label: 'Space', short: 'mark', help: 'mark or unmark the selected segment for the next edit', scopes: ['round'], decision: true, footer: true, pane: 'segments'},
	{action: 'target', keys: [key('t')], label: 't', short: 'target', help: 'edit the marked segments (or the selected one) instead: new candidates are proposed', scopes: ['round'], decision: true, footer: true, pane: 'segments'},
	{action: 'regenerate', keys: [key('r')], label: 'r', short: 'regen', help: 'propose and score new candidates for the same segments', scopes: ['round'], decision: true, footer: true, pane: 'candidates'},
	{action: 'undo', keys: [key('u')], label: 'u', short: 'undo', help: 'undo the last accepted change (asks first; saved; the round starts again on the prompt before it)', scopes: ['round'], decision: true},
	{action: 'skip', keys: [key('s')], label: 's', short: 'skip', help: 'keep the prompt as it is and end the round', scopes: ['round'], decision: true, footer: true, pane: 'candidates'},
	{action: 'lens', keys: [key('v')], label: 'v', short: 'view', help: 'heatmap: cycle between the aggregate and each judge', scopes: ['round'], footer: true},
	{action: 'detail-up', keys: [key('[')], label: '[', short: 'detail up', help: 'scroll the detail pane up', scopes: ['round']},
	{action: 'detail-down', keys: [key(']')], label: ']', short: 'detail down', help: 'scroll the detail pane down', scopes: ['round'], sameLine: true},
	{action: 'delete', keys: [key('d')], label: 'd', short: 'delete', help: 'delete the selected session (asks first)', scopes: ['picker'], footer: true},
	{action: 'rename', keys: [key('n')], label: 'n', short: 'name', help: 'name the selected session (shown beside its id)', scopes: ['picker'], footer: true},
	{action: 'help', keys: [key('?')], label: '?', short: 'help', help: 'show or hide this help', scopes: ['round', 'history', 'examples', 'picker'], footer: true},
	{action: 'cancel', keys: [named('escape')], label: 'Esc', short: 'cancel', help: 'cancel the work in progress (attribution, proposal, scoring, greedy outputs); close an overlay', scopes: ['round', 'history', 'examples', 'picker']},
	{action: 'quit', keys: [key('q'), {input: 'c', ctrl: true}], label: 'q', short: 'quit', help: 'quit (the current prompt is printed); every decision is already saved, the round in progress is redone on resume', scopes: ['round', 'history', 'examples', 'picker', 'loading'], footer: true},
	{action: 'yes', keys: [key('y'), named('return')], label: 'y', short: 'yes', help: 'yes', scopes: ['confirm'], footer: true},
	{action: 'no', keys: [key('n'), named('escape')], label: 'n', short: 'no', help: 'no', scopes: ['confirm'], footer: true},
];

function matches(spec: KeySpec, input: string, pressed: Key): boolean {
	if ('named' in spec) return pressed[spec.named];
	if (spec.ctrl) return pressed.ctrl && input === spec.input;
	return !pressed.ctrl && !pressed.meta && input === spec.input;
}

/** The action a key press asks for on a screen, if any. */
export function actionFor(scope: KeyScope, input: string, pressed: Key): KeyAction | undefined {
	return KEY_MAP.find(b => b.scopes.includes(scope) && b.keys.some(spec => matches(spec, input, pressed)))?.action;
}

/** The bindings of a screen (for the footer and the help overlay). */
export function bindingsFor(scope: KeyScope): KeyBinding[] {
	return KEY_MAP.filter(b => b.scopes.includes(scope));
}

/** The binding of an action. */
export function bindingOf(action: KeyAction): KeyBinding {
	return KEY_MAP.find(b => b.action === action)!;
}
