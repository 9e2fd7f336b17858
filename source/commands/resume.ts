/**
 * `gmpo resume <id>`: continues a saved session from its next round (a round in progress when it stopped is
 * redone; one already decided is finished). `--rounds N` sets a new total for the session.
 */
import {createResumeCommand} from './optimize.js';

export {createResumeCommand};

export const resumeCommand = createResumeCommand();
