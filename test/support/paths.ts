import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** The shared DFXML schema: ../shared beside the checkout (as in CI), or /work/shared. */
export const DFXML_SCHEMA = [resolve('..', 'shared', 'fixtures', 'dfxml-schema', 'dfxml.xsd'), '/work/shared/fixtures/dfxml-schema/dfxml.xsd'].find((path) => existsSync(path)) ?? resolve('..', 'shared', 'fixtures', 'dfxml-schema', 'dfxml.xsd');
