import { describe, expect, it } from 'vitest';
import { errorBarSegments, maxWithErrors } from '../../renderer/src/lib/error-bars.ts';

describe('error bars on the on-screen charts', () => {
  it('spans y - sd to y + sd in pixels at each point with an sd; none for one repeat', () => {
    const px = (v: number) => v * 10;
    const py = (v: number) => 500 - v * 100; // y grows upwards
    const segs = errorBarSegments(
      [
        { x: 1, y: 2 },
        { x: 2, y: 3 },
        { x: 4, y: 1 },
      ],
      [0.5, null, 0],
      px,
      py,
    );
    expect(segs).toEqual([{ x: 10, top: 250, bottom: 350 }]);
  });

  it('the y axis leaves room for the top bar', () => {
    expect(
      maxWithErrors([
        {
          points: [
            { y: 1, yErr: 1.5 },
            { y: 2, yErr: null },
          ],
        },
      ]),
    ).toBe(2.5);
  });
});
