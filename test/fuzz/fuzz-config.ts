/**
 * Fuzzing defaults, shared by the fuzz tests and scripts/fuzz.ts (no other imports, so the script
 * stays light).
 */

/** Default seed (CI): fixed, so a run is reproducible. `npm run fuzz` picks a random one. */
export const DEFAULT_SEED = 20261126;
/** Default runs per property (CI): a few hundred requests in all. */
export const DEFAULT_RUNS = 8;
/** How many times the CI runs `npm run fuzz` uses by default. */
export const CAMPAIGN_FACTOR = 50;
