import { fileURLToPath } from 'node:url';

/**
 * The bundled EXAMPLE recorded results (made-up numbers, see examples/recorded-results/README.md) that Import
 * results offers with one click, so a user without AWS sees the cloud half of the study. Runs imported from here are
 * named "Example data · …" in History and the import says it is example data.
 */
export const EXAMPLE_RESULTS_DIR = fileURLToPath(new URL('../../examples/recorded-results', import.meta.url));
export const EXAMPLE_RUN_PREFIX = 'Example data · ';
