import { BadUserInputError } from '@parley/errors';
import { COMMON_PASSWORDS } from './common-passwords';

export const MIN_PASSWORD_LENGTH = 10;
/** argon2 is deliberately slow; an unbounded input would make it a denial-of-service lever. */
export const MAX_PASSWORD_LENGTH = 256;

/** Refuses a password a person should not use, saying why, with the field named. */
export function assertAcceptablePassword(password: string, email: string, field = 'password'): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new BadUserInputError(`The password must be at least ${MIN_PASSWORD_LENGTH} characters long.`, { field });
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new BadUserInputError(`The password must be at most ${MAX_PASSWORD_LENGTH} characters long.`, { field });
  }
  const lowered = password.toLowerCase();
  if (COMMON_PASSWORDS.has(lowered) || new Set(lowered).size <= 2) {
    throw new BadUserInputError('This password is too common; choose one that is harder to guess.', { field });
  }
  if (lowered === email.toLowerCase() || lowered === email.split('@')[0]?.toLowerCase()) {
    throw new BadUserInputError('The password must not be your e-mail address.', { field });
  }
}
