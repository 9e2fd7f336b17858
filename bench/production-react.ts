/**
 * Imported first by the TUI benchmark: React's production build, as the CLI runs it (commands/tui.ts sets
 * NODE_ENV before loading the TUI). React picks its build when it loads, so this must come before any import of it.
 */
process.env.NODE_ENV ??= 'production';
