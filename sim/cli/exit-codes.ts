/** Exit codes of `sim`: what a script calling it can rely on. */
export const EXIT_OK = 0;
/** Our bug, or a run that failed: the message ends with the seed and a replay command. */
export const EXIT_INTERNAL = 1;
/** The user's to fix: a bad scenario, override or option, with where and what was expected. */
export const EXIT_BAD_INPUT = 2;
/** Stopped by --max-events or --max-wall before the scenario's end; the run directory is flagged incomplete. */
export const EXIT_BUDGET = 3;
/** Stopped by Ctrl-C (128 + SIGINT, as shells report it); the run directory is flagged incomplete. */
export const EXIT_INTERRUPTED = 130;
