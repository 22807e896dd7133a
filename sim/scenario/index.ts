/**
 * The scenario language: YAML files with units, templates and command-line overrides, checked
 * against a schema, loaded into a typed Scenario with every default filled.
 *
 * Use `loadScenarioFile(file, overrides)`; it never throws for bad input, it returns every
 * error with the place to fix it. `scenarioJsonSchema()` is what `sim schema` prints.
 */

export { loadScenarioFile, loadScenarioText, type LoadResult } from './load.js';
export { isOverride, makeOverride, parseSetOption, type Override } from './overrides.js';
export { formatError, type ScenarioError } from './errors.js';
export { scenarioJsonSchema } from './json-schema.js';
export { compareVariants } from './sections/compare.js';
export { PROFILES, PROFILE_NAMES } from './profiles.js';
export type * from './types.js';
