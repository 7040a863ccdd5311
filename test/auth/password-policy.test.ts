/** The new-password policy: code-point lengths, the common-password list, not the username. */
import { dictionary } from '@zxcvbn-ts/language-common';
import {
  commonPasswords,
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
  passwordProblem,
} from '../../src/auth/password-policy';

const STRONG = 'violet-Canoe-harbour-93';

describe('passwordProblem', () => {
  it('accepts a strong password, with or without a username', () => {
    expect(passwordProblem(STRONG)).toBeUndefined();
    expect(passwordProblem(STRONG, 'alice')).toBeUndefined();
  });

  it('has the documented bounds', () => {
    expect([MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH]).toEqual([8, 128]);
  });

  it('counts length in code points, not UTF-16 units', () => {
    // 7 emoji are 14 UTF-16 units but 7 characters: too short.
    expect('🦊'.repeat(7).length).toBe(14);
    expect(passwordProblem('🦊'.repeat(7))).toBe('must be at least 8 characters');
    expect(passwordProblem('🦊'.repeat(8))).toBeUndefined();
    // 128 emoji are 256 UTF-16 units but exactly the maximum.
    expect(passwordProblem('🦊'.repeat(128))).toBeUndefined();
    expect(passwordProblem('🦊'.repeat(129))).toBe('must be at most 128 characters');
  });

  it('accepts 8 and 128 characters, refuses 7 and 129', () => {
    const longOk = 'kx7#Qm2v'.repeat(16);
    expect(longOk).toHaveLength(128);
    expect(passwordProblem('kx7#Qm2v')).toBeUndefined();
    expect(passwordProblem(longOk)).toBeUndefined();
    expect(passwordProblem('kx7#Qm2')).toBe('must be at least 8 characters');
    expect(passwordProblem(`${longOk}z`)).toBe('must be at most 128 characters');
    expect(passwordProblem('')).toBe('must be at least 8 characters');
  });

  it('imposes no composition rules: spaces count, all-lower-case is fine', () => {
    expect(passwordProblem('correct horse battery staple')).toBeUndefined();
    expect(passwordProblem('        ')).toBeUndefined();
  });

  it('refuses common passwords in any case', () => {
    for (const p of [
      'password',
      'PASSWORD',
      'Password',
      'pAsSwOrD',
      '12345678',
      'Qwerty123',
      'iloveyou1',
      'P@ssw0rd',
      'Passw0rd',
    ]) {
      expect([p, passwordProblem(p)]).toEqual([p, 'is too common']);
    }
  });

  it('refuses a common password with trailing digits/punctuation stripped when the stem is still 8+', () => {
    for (const p of ['Password123!', 'password2024', 'sunshine!!', 'Football#1', 'iloveyou...', 'qwertyuiop0']) {
      expect([p, passwordProblem(p)]).toEqual([p, 'is too common']);
    }
    // The stem is shorter than 8: judged as a whole, and not in the list.
    expect(passwordProblem('dragon1234567')).toBeUndefined();
    // Only trailing decoration is stripped.
    expect(passwordProblem('!!password')).toBeUndefined();
    expect(passwordProblem('my password is long')).toBeUndefined();
  });

  it('refuses the username, case-insensitively', () => {
    expect(passwordProblem('alexander-the-great', 'Alexander-The-Great')).toBe('must not be the username');
    expect(passwordProblem('Alexander-The-Great', ' alexander-the-great ')).toBe('must not be the username');
    expect(passwordProblem('alexander-the-great2', 'alexander-the-great')).toBeUndefined();
    expect(passwordProblem('alexander-the-great')).toBeUndefined();
  });

  it('reports the length problem before anything else', () => {
    expect(passwordProblem('alice', 'alice')).toBe('must be at least 8 characters');
  });
});

describe('commonPasswords', () => {
  const COMMON_PASSWORDS = commonPasswords();
  const entries = [...COMMON_PASSWORDS];

  it("is zxcvbn's common-password list, the entries of 8+ code points, and the service's name", () => {
    const zxcvbnList = dictionary['passwords-common'];
    for (const p of zxcvbnList) expect([p, COMMON_PASSWORDS.has(p)]).toEqual([p, [...p].length >= MIN_PASSWORD_LENGTH]);
    expect(COMMON_PASSWORDS.has('specgate')).toBe(true);
    expect(COMMON_PASSWORDS.size).toBe(
      new Set([...zxcvbnList.filter((p) => [...p].length >= MIN_PASSWORD_LENGTH), 'specgate']).size,
    );
  });

  it("refuses the service's name, alone or with a suffix", () => {
    for (const p of ['specgate', 'SpecGate', 'specgate1', 'specgate123', 'Specgate2024!']) {
      expect([p, passwordProblem(p)]).toEqual([p, 'is too common']);
    }
  });

  it('has at least 300 entries, all 8+ code points and lower-case', () => {
    expect(entries.length).toBeGreaterThanOrEqual(300);
    for (const p of entries) {
      expect([p, [...p].length >= MIN_PASSWORD_LENGTH]).toEqual([p, true]);
      expect(p).toBe(p.toLowerCase());
    }
  });

  it('holds the classics', () => {
    for (const p of [
      'password',
      '12345678',
      'qwerty123',
      'iloveyou1',
      'passw0rd',
      '1q2w3e4r',
      'sunshine',
      'princess',
      'football',
    ]) {
      expect(COMMON_PASSWORDS.has(p)).toBe(true);
    }
  });

  it('refuses every entry through passwordProblem', () => {
    for (const p of entries) expect([p, passwordProblem(p)]).toEqual([p, 'is too common']);
    for (const p of entries) expect([p, passwordProblem(p.toUpperCase())]).toEqual([p, 'is too common']);
  });
});
