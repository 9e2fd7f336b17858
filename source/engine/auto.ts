/**
 * The acceptance rule as a decider, for `--auto`: accept the top candidate when its aggregate loss decrease (nats/token)
 * beats the task's threshold, else skip. An error in the round's work is thrown, so a headless run ends with it
 * instead of skipping rounds silently.
 */
import type {Decision, RoundView} from './types.js';

/** Decides a round by the acceptance rule. */
export function autoDecide(view: RoundView): Decision {
	if (view.error) throw view.error.error;
	return view.ranking?.accept ? {kind: 'accept'} : {kind: 'skip'};
}
