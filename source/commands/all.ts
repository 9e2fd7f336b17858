/**
 * Every command, registered lazily under its name (a command's dependencies load only when it runs). One line per
 * command; the name "" is the command run with no arguments (the session picker).
 */
import {registerCommand} from './index.js';

registerCommand('judges check', async () => (await import('./judges.js')).judgesCheckCommand);
registerCommand('judges generate', async () => (await import('./judges.js')).judgesGenerateCommand);
registerCommand('judges import-llama2c', async () => (await import('./judges.js')).judgesImportCommand);
registerCommand('optimize', async () => (await import('./optimize.js')).optimizeCommand);
registerCommand('resume', async () => (await import('./resume.js')).resumeCommand);
registerCommand('sessions', async () => (await import('./sessions.js')).sessionsCommand);
registerCommand('sessions rm', async () => (await import('./sessions.js')).sessionsRmCommand);
registerCommand('export', async () => (await import('./export.js')).exportCommand);
registerCommand('eval', async () => (await import('./eval.js')).evalCommand);
registerCommand('attribute', async () => (await import('./attribute.js')).attributeCommand);
registerCommand('score', async () => (await import('./attribute.js')).scoreCommand);
registerCommand('config', async () => (await import('./config.js')).configCommand);
registerCommand('demo', async () => (await import('./tui.js')).demoCommand);
registerCommand('', async () => (await import('./tui.js')).pickerCommand);
