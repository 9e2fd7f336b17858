/**
 * Import first in a test file that drives the TUI through fake terminal streams (runTui with PassThrough stdin and
 * stdout): Ink decides when it is imported whether it runs in CI (is-in-ci reads CI, CONTINUOUS_INTEGRATION and CI_*),
 * and in CI it draws only the last frame, when the app ends, so a test waiting for a screen would wait forever. CI
 * runs the suite with CI=true; the streams here are terminals, so the variables go for this test process.
 */
for (const key of Object.keys(process.env)) {
	if (key === 'CI' || key === 'CONTINUOUS_INTEGRATION' || key.startsWith('CI_')) delete process.env[key];
}
