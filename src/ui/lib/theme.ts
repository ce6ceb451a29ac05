/**
 * Light/dark handling: "system" follows prefers-color-scheme through CSS alone; an explicit choice sets
 * data-theme on <html> and is remembered in localStorage.
 */
export type ThemeChoice = 'system' | 'light' | 'dark';

const KEY = 'sextant.theme';

export function loadTheme(): ThemeChoice {
  const v = localStorage.getItem(KEY);
  return v === 'light' || v === 'dark' ? v : 'system';
}

export function applyTheme(choice: ThemeChoice): void {
  if (choice === 'system') {
    document.documentElement.removeAttribute('data-theme');
    localStorage.removeItem(KEY);
  } else {
    document.documentElement.setAttribute('data-theme', choice);
    localStorage.setItem(KEY, choice);
  }
  window.dispatchEvent(new Event('sextant-theme'));
}

/** The theme actually in effect, for canvas drawing that cannot use CSS variables directly. */
export function effectiveTheme(): 'light' | 'dark' {
  const attr = document.documentElement.getAttribute('data-theme');
  if (attr === 'light' || attr === 'dark') return attr;
  return window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

/** Reads a CSS custom property from the root element, e.g. cssVar('--text-muted'). */
export function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}
