/**
 * What the "Data used" section says of a kernel's citations (no DOM, no
 * requests: unit-tested with `jlpm test`).
 */
import type { ICitation, IKernelCitations } from './api';

/** One line under a dataset's id: its version, files and tracking ids. */
export function describeCitation(citation: ICitation): string {
  const parts = [
    citation.version ? `version ${citation.version}` : 'no version',
    `holding ${citation.holding}`,
    countOf(citation.files, 'file'),
    countOf(citation.tracking_ids.length, 'tracking id')
  ];
  return parts.join(' · ');
}

function countOf(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * Whether two replies show the same thing (a poll that changes nothing
 * re-renders nothing).
 */
export function sameCitations(
  a: IKernelCitations | null,
  b: IKernelCitations | null
): boolean {
  return (
    a === b ||
    (a !== null &&
      b !== null &&
      a.kernel_id === b.kernel_id &&
      a.text === b.text)
  );
}

/** What the section says when it lists nothing. */
export function emptyMessage(notebook: string | null, kernel: boolean): string {
  if (notebook === null) {
    return 'Open a notebook to see the datasets its kernel used.';
  }
  if (!kernel) {
    return `${notebook} has no running kernel.`;
  }
  return `${notebook} has used no dataset yet: holdings.open(…) and pmap over a dataset's files are recorded.`;
}
