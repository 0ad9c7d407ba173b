import { describe, expect, it } from 'vitest';
import { constraintStatus } from './database-errors';

describe('constraintStatus', () => {
  it.each(['22001', '22003', '22007', '22008', '22012', '22021', '22P02', '22P05', '2200H'])(
    'a data exception (SQLSTATE %s) reaching the edge is a 400',
    (code) => {
      expect(constraintStatus({ driverError: { code } })).toEqual({
        status: 400,
        message: 'a value cannot be stored as given',
      });
      expect(constraintStatus({ code })).toMatchObject({ status: 400 });
    },
  );

  it('leaves other classes alone', () => {
    expect(constraintStatus({ code: '42P01' })).toBeNull();
    expect(constraintStatus({ code: '23505' })).toMatchObject({ status: 409 });
    expect(constraintStatus(new Error('x'))).toBeNull();
  });
});
