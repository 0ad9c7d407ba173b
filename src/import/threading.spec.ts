import { describe, expect, it } from 'vitest';
import { emptyReport } from './import-report';
import { placeInThreads } from './threading';

const item = (externalId: string, parentExternalId: string | null, articleId = 'a1') => ({
  item: { externalId, parentExternalId, articleId },
  id: `id-${externalId}`,
});

describe('placeInThreads', () => {
  it('places replies under parents listed after them, parents first', () => {
    const report = emptyReport();
    const { placed, waiting } = placeInThreads(
      [item('3', '2'), item('2', '1'), item('1', null)],
      new Map(),
      report,
      true,
    );
    expect(waiting).toEqual([]);
    expect(placed.map((p) => p.item.externalId)).toEqual(['1', '2', '3']);
    expect(placed[2].place).toMatchObject({ depth: 2, rootId: 'id-1', path: ['id-1', 'id-2'] });
    expect(report.notes).toEqual({});
  });

  it('hangs a reply under a comment imported before', () => {
    const known = new Map([
      ['9', { id: 'old-9', articleId: 'a1', rootId: 'old-1', depth: 1, path: ['old-1'] }],
    ]);
    const { placed } = placeInThreads([item('10', '9')], known, emptyReport(), true);
    expect(placed[0]).toMatchObject({
      parentId: 'old-9',
      place: { depth: 2, path: ['old-1', 'old-9'] },
    });
  });

  it('keeps replies of unknown parents waiting, or makes them top-level and says so', () => {
    const waitingRun = placeInThreads(
      [item('5', '4'), item('6', '5')],
      new Map(),
      emptyReport(),
      false,
    );
    expect(waitingRun.placed).toEqual([]);
    expect(waitingRun.waiting.map((w) => w.externalId).sort()).toEqual(['5', '6']);
    const report = emptyReport();
    const topRun = placeInThreads([item('5', '4'), item('6', '5')], new Map(), report, true);
    expect(topRun.placed.map((p) => [p.item.externalId, p.place.depth])).toEqual([
      ['5', 0],
      ['6', 1],
    ]);
    expect(report.notes).toEqual({ 'reply whose parent is missing made top-level': 1 });
  });

  it('breaks a parent cycle and a parent on another article', () => {
    const report = emptyReport();
    const { placed } = placeInThreads(
      [item('7', '8'), item('8', '7'), item('11', '12', 'a2'), item('12', null, 'a1')],
      new Map(),
      report,
      true,
    );
    expect(placed).toHaveLength(4);
    expect(placed.find((p) => p.item.externalId === '11')?.parentId).toBeNull();
    expect(report.notes).toMatchObject({
      'reply in a parent cycle made top-level': 1,
      'reply to a comment of another article made top-level': 1,
    });
  });
});
