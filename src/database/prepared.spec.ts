import { describe, expect, it } from 'vitest';
import { StatementTexts } from './prepared';

describe('StatementTexts', () => {
  it('builds a text once for the same parts and gives back the same string', () => {
    const texts = new StatementTexts();
    const probes = ['EXISTS (SELECT 1)', 'false'];
    let built = 0;
    const build = () => {
      built += 1;
      return ['SELECT', ...probes].join(' ');
    };
    const first = texts.of([true, 'screen', probes], build);
    // A new list holding the same strings is the same part.
    const again = texts.of([true, 'screen', [...probes]], build);
    expect(again).toBe(first);
    expect(built).toBe(1);
  });

  it('builds anew when any part differs: a flag, a fragment, a list or one of its items', () => {
    const texts = new StatementTexts();
    const seen: string[] = [];
    const of = (parts: Parameters<StatementTexts['of']>[0]) =>
      texts.of(parts, () => {
        const text = JSON.stringify(parts);
        seen.push(text);
        return text;
      });
    expect(of([true, 'a', ['x']])).toBe('[true,"a",["x"]]');
    expect(of([false, 'a', ['x']])).toBe('[false,"a",["x"]]');
    expect(of([true, null, ['x']])).toBe('[true,null,["x"]]');
    expect(of([true, 'a', ['y']])).toBe('[true,"a",["y"]]');
    expect(of([true, 'a', ['x', 'y']])).toBe('[true,"a",["x","y"]]');
    expect(of([true, 'a', ['x']])).toBe('[true,"a",["x"]]');
    expect(seen).toHaveLength(5);
  });

  it('gives the right texts past its bound, where it drops the ones it kept', () => {
    const texts = new StatementTexts();
    let built = 0;
    const of = (n: number) => texts.of([String(n)], () => `text ${(built += 1)}`);
    for (let n = 0; n < 1000; n += 1) {
      of(n);
    }
    expect(built).toBe(1000);
    // Still right after starting afresh.
    expect(of(999)).toBe(of(999));
    expect(of(5)).toBe(`text ${built}`);
  });
});
