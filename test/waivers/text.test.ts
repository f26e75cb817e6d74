import fc from 'fast-check';
import { formatWaiverText, parseWaiverText } from '../../src/waivers/text';

describe('parseWaiverText', () => {
  it.each<[string, unknown, ReturnType<typeof parseWaiverText>]>([
    [
      'the documented form',
      'Public website bucket, logged by CloudFront [ticket: SEC-1234] [expires: 2027-03-31] [approved-by: jane.doe]',
      {
        reason: 'Public website bucket, logged by CloudFront',
        ticket: 'SEC-1234',
        expires: '2027-03-31',
        approvedBy: 'jane.doe',
      },
    ],
    ['free text only', 'legacy', { reason: 'legacy' }],
    [
      'tags first, any case, spaces',
      '[ TICKET :  OPS-1 ]legacy   key',
      { reason: 'legacy key', ticket: 'OPS-1' },
    ],
    [
      'other brackets stay in the reason',
      'see [RFC 1918] and [note: x]',
      { reason: 'see [RFC 1918] and [note: x]' },
    ],
    ['a bracket opened twice', 'a [b [ticket: T-1]', { reason: 'a [b', ticket: 'T-1' }],
    ['an unclosed tag', 'reason [ticket: T-1', { reason: 'reason [ticket: T-1' }],
    ['an empty tag value', 'reason [ticket: ]', { reason: 'reason', ticket: '' }],
    [
      'a tag given twice: the first, and a problem',
      'r [expires: 2026-01-01] [expires: 2099-01-01]',
      { reason: 'r', expires: '2026-01-01', problems: ['the tag [expires: …] is given more than once'] },
    ],
    ['not a string', 42, { reason: '42' }],
    ['undefined', undefined, { reason: '' }],
    ['an object', { ticket: 'X-1' }, { reason: '[object Object]' }],
    ['an object with no text', Object.create(null), { reason: '' }],
  ])('reads %s', (_name, text, expected) => {
    expect(parseWaiverText(text)).toEqual(expected);
  });

  it('never throws and returns a reason, on any input', () => {
    const bracketHeavy = fc
      .array(fc.constantFrom('[', ']', ':', ' ', 'ticket', 'expires', 'approved-by', 'x', '\n'), {
        maxLength: 40,
      })
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: 'binary' }), bracketHeavy, fc.anything()),
        (text) => {
          const parsed = parseWaiverText(text);
          expect(typeof parsed.reason).toBe('string');
        },
      ),
      { seed: 8, numRuns: 2000 },
    );
  });

  it('reads back what formatWaiverText writes, for fields without brackets', () => {
    const field = fc
      .string({ minLength: 1 })
      .filter((s) => !/[[\]]/.test(s) && s.trim() === s && s.trim() !== '' && !/\s\s|[\n\r\t]/.test(s));
    fc.assert(
      fc.property(
        field,
        field,
        field,
        fc.option(field, { nil: undefined }),
        (reason, ticket, expires, approvedBy) => {
          const parsed = parseWaiverText(formatWaiverText({ reason, ticket, expires, approvedBy }));
          expect(parsed).toEqual({
            reason,
            ticket,
            expires,
            ...(approvedBy !== undefined && { approvedBy }),
          });
        },
      ),
      { seed: 8, numRuns: 500 },
    );
  });

  it('reads a long text of brackets in linear time', () => {
    const started = Date.now();
    parseWaiverText('['.repeat(200_000) + ' ['.repeat(200_000) + ']');
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
