/**
 * Imported first by tests that check colour: chalk (through Ink) decides its colour level when it loads, and a test
 * process is not a terminal, so without this it would never colour anything and "no colour" would prove nothing.
 */
process.env.FORCE_COLOR = '1';
