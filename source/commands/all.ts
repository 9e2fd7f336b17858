/**
 * Every command, registered lazily (a command's dependencies load only when it runs). One line per command file.
 */
import {registerCommand} from './index.js';

registerCommand(async () => (await import('./judges.js')).judgesCheckCommand);
registerCommand(async () => (await import('./judges.js')).judgesGenerateCommand);
registerCommand(async () => (await import('./judges.js')).judgesImportCommand);
registerCommand(async () => (await import('./optimize.js')).optimizeCommand);
registerCommand(async () => (await import('./resume.js')).resumeCommand);
registerCommand(async () => (await import('./sessions.js')).sessionsCommand);
registerCommand(async () => (await import('./export.js')).exportCommand);
registerCommand(async () => (await import('./eval.js')).evalCommand);
registerCommand(async () => (await import('./config.js')).configCommand);
