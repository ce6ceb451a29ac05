/**
 * Mounts a uPlot chart in a host element: built by `make` for the host's width, kept as wide as the host,
 * rebuilt when `deps` change or the theme switches (uPlot draws resolved colours onto its canvas), destroyed
 * on unmount. Shared by every chart so none forgets the resize or the theme.
 */
import { useEffect, useRef, type RefObject } from 'react';
import type uPlot from 'uplot';
import { useTheme } from '../lib/theme.js';

export function useUplot(make: (el: HTMLDivElement, width: number) => uPlot | null, height: number, deps: readonly unknown[]): RefObject<HTMLDivElement | null> {
  const host = useRef<HTMLDivElement>(null);
  const theme = useTheme();
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const width = () => Math.max(200, el.clientWidth);
    const plot = make(el, width());
    if (!plot) return;
    const ro = new ResizeObserver(() => {
      if (Math.abs(plot.width - width()) > 1) plot.setSize({ width: width(), height });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
    // `make` is a fresh closure each render; `deps` says when its inputs changed.
  }, [...deps, height, theme]);
  return host;
}
