/** A request a view makes once per set of dependencies. */
import { useEffect, useState } from 'react';

/** What a request under way will give: nothing yet, a value, or an error. */
export type Loading<T> =
  | { state: 'loading' }
  | { state: 'done'; value: T; ms: number }
  | { state: 'failed'; error: string };

/** Fetch something once per `deps`, dropping the answer if they changed meanwhile. */
export function useFetch<T>(
  fetch: () => Promise<T>,
  deps: unknown[]
): Loading<T> {
  const [result, setResult] = useState<Loading<T>>({ state: 'loading' });
  useEffect(() => {
    let current = true;
    const started = performance.now();
    setResult({ state: 'loading' });
    fetch().then(
      value => {
        if (current) {
          setResult({
            state: 'done',
            value,
            ms: Math.round(performance.now() - started)
          });
        }
      },
      error => {
        if (current) {
          setResult({ state: 'failed', error: (error as Error).message });
        }
      }
    );
    return () => {
      current = false;
    };
  }, deps);
  return result;
}
