/** Level colours from the CSS variables in logs.css, for canvases that cannot use CSS classes. */
import { cssVar } from '../../lib/theme.js';
import { normaliseLevel, type Level } from './detect.js';

const LEVEL_VAR: Record<Level, string> = {
  critical: '--log-critical',
  error: '--log-error',
  warn: '--log-warn',
  info: '--log-info',
  debug: '--log-debug',
  trace: '--log-trace',
  unknown: '--log-unknown',
};

export function levelColor(level: string): string {
  const l = normaliseLevel(level) ?? 'unknown';
  return cssVar(LEVEL_VAR[l]) || '#888';
}
