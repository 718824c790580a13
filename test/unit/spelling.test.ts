import { describe, expect, it } from 'vitest';
import { didYouMean } from '../../config/spelling.ts';

describe('didYouMean', () => {
  const keys = ['interval', 'timeout', 'url', 'regions'];

  it('suggests a word within two edits, the closest', () => {
    expect(didYouMean('intervl', keys)).toBe('(did you mean "interval"?)');
    expect(didYouMean('tiemout', keys)).toBe('(did you mean "timeout"?)');
    expect(didYouMean('urk', keys)).toBe('(did you mean "url"?)');
  });

  it('suggests a word that is a prefix of the one given, or the other way round', () => {
    expect(didYouMean('timeout_ms', keys)).toBe('(did you mean "timeout"?)');
    expect(didYouMean('reg', keys)).toBe('(did you mean "regions"?)');
  });

  it('suggests nothing when no word is close', () => {
    expect(didYouMean('bogus', keys)).toBe('');
  });
});
