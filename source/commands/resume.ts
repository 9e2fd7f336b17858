/**
 * `gmpo resume <id>`: continues a saved session from its next round (a round in progress when it stopped is
 * redone; one already decided is finished). `--rounds N` means N more rounds (the task's `rounds` is the total
 * without it).
 */
import {createResumeCommand} from './optimize.js';

export {createResumeCommand};

export const resumeCommand = createResumeCommand();
