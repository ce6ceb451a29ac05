/**
 * Go's filepath.Glob for the patterns Prometheus allows in rule_files and file_sd_configs, where wildcards
 * (`*`, `?`, `[...]`) may appear only in the last path component.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

const META = /[*?[\\]/;

export function hasGlobMeta(pattern: string): boolean {
  return META.test(basename(pattern));
}

/** Go's filepath.Match for one path component: `*` and `?` never match `/`. Throws on a malformed class. */
export function globComponentRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\') {
      const n = pattern[++i];
      if (n === undefined) throw new Error('syntax error in pattern');
      re += n.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) throw new Error('syntax error in pattern');
      let body = pattern.slice(i + 1, end);
      let neg = '';
      if (body.startsWith('^')) {
        neg = '^';
        body = body.slice(1);
      }
      re += `[${neg}${body.replace(/[\\\]]/g, '\\$&')}]`;
      i = end;
    } else {
      re += c.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
    }
  }
  return new RegExp(`^${re}$`, 's');
}

/** Existing paths matching the pattern, sorted as Go returns them; a pattern without wildcards matches itself if it exists. */
export async function glob(pattern: string): Promise<string[]> {
  if (!hasGlobMeta(pattern)) {
    try {
      await stat(pattern);
      return [pattern];
    } catch {
      return [];
    }
  }
  const dir = dirname(pattern);
  const re = globComponentRegExp(basename(pattern));
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => re.test(n))
    .sort()
    .map((n) => join(dir, n));
}
