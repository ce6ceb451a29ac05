/** File globs (`*`, `?`, `**`, `{a,b}`, `[...]`) expanded by walking only the directories they can match. */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // `**/` matches zero or more directories.
        if (glob[i + 2] === '/') {
          re += '(?:.*/)?';
          i += 2;
        } else {
          re += '.*';
          i++;
        }
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '{') {
      const end = glob.indexOf('}', i);
      if (end < 0) re += '\\{';
      else {
        re += `(?:${glob
          .slice(i + 1, end)
          .split(',')
          .map((a) => a.replace(/[.+^$()|\\]/g, '\\$&').replace(/\*/g, '[^/]*'))
          .join('|')})`;
        i = end;
      }
    } else if (c === '[') {
      const end = glob.indexOf(']', i);
      if (end < 0) re += '\\[';
      else {
        re += `[${glob.slice(i + 1, end).replace(/^!/, '^')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^$()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

const MAGIC = /[*?{[]/;

/** Absolute paths of the regular files and symlinks matching `glob`. */
export async function expandGlob(glob: string): Promise<string[]> {
  const parts = glob.split('/');
  let base = '';
  let i = 0;
  for (; i < parts.length && !MAGIC.test(parts[i]); i++) base += (i === 0 ? '' : '/') + parts[i];
  if (i === parts.length) return [glob];
  const re = globToRegExp(glob);
  const out: string[] = [];
  const deep = parts.slice(i).some((p) => p.includes('**'));
  const maxDepth = deep ? 16 : parts.length - i;
  const walk = async (dir: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir || '/', { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir || '/', e.name);
      if (e.isDirectory()) {
        if (depth < maxDepth) await walk(p, depth + 1);
      } else if ((e.isFile() || e.isSymbolicLink()) && re.test(p)) out.push(p);
    }
  };
  await walk(base, 1);
  return out.sort();
}
