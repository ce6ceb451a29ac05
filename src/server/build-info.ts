/** What /api/v1/status/buildinfo and sextant_build_info report. */
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export const BUILD_INFO = {
  version: pkg.version,
  revision: process.env.SEXTANT_REVISION ?? 'unknown',
  branch: 'main',
  buildUser: 'sextant',
  buildDate: '',
  goVersion: `node${process.versions.node}`,
};
