/**
 * Every command, registered lazily (a command's dependencies load only when it runs). One line per command file.
 */
import {registerCommand} from './index.js';

registerCommand(async () => (await import('./judges.js')).judgesCheckCommand);
registerCommand(async () => (await import('./judges.js')).judgesGenerateCommand);
registerCommand(async () => (await import('./judges.js')).judgesImportCommand);
