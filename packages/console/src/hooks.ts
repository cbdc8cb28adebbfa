import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';

/** Loads `load()` now and every `everyMs` (when given) while the view is shown; the latest answer or error. */
export function usePoll<T>(load: () => Promise<T>, everyMs: number | undefined, deps: readonly unknown[] = []): { data?: T; error?: string; reload: () => void } {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      try {
        const next = await load();
        if (!live) return;
        setData(next);
        setError(undefined);
      } catch (err) {
        if (live) setError(errorText(err));
      }
      if (live && everyMs) timer = setTimeout(() => void run(), everyMs);
    };
    void run();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [...deps, tick]);
  return { data, error, reload: () => setTick((t) => t + 1) };
}

/** What to show for a failed request. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) return `${err.problem.status}${err.problem.code ? ` ${err.problem.code}` : ''}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

/**
 * The content width in px of the element given the returned ref, followed as it resizes, so a
 * chart is drawn at the size it is shown (text in a scaled-down SVG would be unreadably small
 * on a phone). Undefined until first measured; the element must be rendered from the start.
 */
export function useWidth<T extends HTMLElement>(): [{ current: T | null }, number | undefined] {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState<number>();
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const observer = new ResizeObserver(([entry]) => entry && setWidth(Math.floor(entry.contentRect.width)));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}
