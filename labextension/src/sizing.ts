/** How the JASMIN panel shares its height among its sections (no DOM here). */

/** The height a section not in use keeps: a few lines of it (px). */
export const MIN_SECTION_HEIGHT = 72;

/**
 * Share `height` among sections wanting `wants`: each at least `floor`, at most
 * what it wants, the smallest wants served first (water-filling).
 */
export function shareHeight(
  wants: number[],
  height: number,
  floor: number
): number[] {
  const shares = wants.map(() => floor);
  let left = Math.max(0, height - floor * wants.length);
  const order = wants
    .map((_, index) => index)
    .sort((a, b) => wants[a] - wants[b]);
  order.forEach((index, position) => {
    const fair = left / (order.length - position);
    const extra = Math.min(Math.max(0, wants[index] - floor), fair);
    shares[index] += extra;
    left -= extra;
  });
  return shares;
}
