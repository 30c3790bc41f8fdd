import { hash, verify } from '@node-rs/argon2';

/** argon2id with the library's defaults (OWASP's minimum: m=19 MiB, t=2, p=1). */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hashed: string, password: string): Promise<boolean>;
  /** Spends the time of one verification without an account, so "unknown e-mail" and "wrong password" look alike. */
  verifyNothing(password: string): Promise<void>;
}

export async function createPasswordHasher(): Promise<PasswordHasher> {
  const dummy = await hash('parley-timing-equalizer');
  return {
    hash: (password) => hash(password),
    verify: async (hashed, password) => {
      try {
        return await verify(hashed, password);
      } catch {
        return false;
      }
    },
    verifyNothing: async (password) => {
      await verify(dummy, password).catch(() => false);
    },
  };
}
