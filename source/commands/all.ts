/**
 * Every command, registered lazily (a command's dependencies load only when it runs). One line per command file.
 */
import {registerCommand} from './index.js';

void registerCommand;
