/**
 * Light/dark handling. The palette is written once per theme in styles.css, keyed on data-theme on <html>,
 * which is therefore always 'light' or 'dark': the choice "system" is resolved here (and, before first paint,
 * by the inline script in index.html, which must agree with resolveTheme) and followed when the OS setting
 * changes. An explicit choice is remembered in localStorage.
 */
import { useSyncExternalStore } from 'react';

export type ThemeChoice = 'system' | 'light' | 'dark';
export type Theme = 'light' | 'dark';

const KEY = 'sextant.theme';
const EVENT = 'sextant-theme';
const DARK_QUERY = '(prefers-color-scheme: dark)';

export function loadTheme(): ThemeChoice {
  let v: string | null = null;
  try {
    v = localStorage.getItem(KEY);
  } catch {
    // Storage can be disabled (privacy settings); the system theme still works.
  }
  return v === 'light' || v === 'dark' ? v : 'system';
}

export function resolveTheme(choice: ThemeChoice, systemDark: boolean): Theme {
  return choice === 'system' ? (systemDark ? 'dark' : 'light') : choice;
}

function setRootTheme(theme: Theme): void {
  const root = document.documentElement;
  if (root.getAttribute('data-theme') === theme) return;
  root.setAttribute('data-theme', theme);
  window.dispatchEvent(new Event(EVENT));
}

export function applyTheme(choice: ThemeChoice): void {
  try {
    if (choice === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, choice);
  } catch {
    // Not remembered, but applied.
  }
  setRootTheme(resolveTheme(choice, window.matchMedia(DARK_QUERY).matches));
}

/** Applies the remembered choice and follows the OS setting while the choice is "system". Call once at start. */
export function followSystemTheme(): void {
  applyTheme(loadTheme());
  window.matchMedia(DARK_QUERY).addEventListener('change', (e) => {
    if (loadTheme() === 'system') setRootTheme(e.matches ? 'dark' : 'light');
  });
}

/** The theme in effect. */
export function effectiveTheme(): Theme {
  return document.documentElement.getAttribute('data-theme') === 'dark' ? 'dark' : 'light';
}

function subscribe(cb: () => void): () => void {
  window.addEventListener(EVENT, cb);
  return () => window.removeEventListener(EVENT, cb);
}

/** The theme in effect as React state, for canvases that draw with resolved colours and must redraw on a switch. */
export function useTheme(): Theme {
  return useSyncExternalStore(subscribe, effectiveTheme);
}

/** Reads a CSS custom property from the root element, e.g. cssVar('--text-muted'). */
export function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}
