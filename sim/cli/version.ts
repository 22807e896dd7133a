/** The package version, for summary.json and `sim --version`. */
import { projectOf } from '../project.js';

export function packageVersion(): string {
  return projectOf(import.meta.url).version;
}
