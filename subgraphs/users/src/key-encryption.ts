import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export interface KeyEncryption {
  encrypt(plaintext: string): string;
  decrypt(ciphertext: string): string;
}

/**
 * AES-256-GCM for secrets at rest (the private halves of signing keys): a
 * database dump alone does not let anyone mint tokens. Format:
 * v1.<iv>.<tag>.<ciphertext>, each base64url.
 */
export function createKeyEncryption(keyBase64: string): KeyEncryption {
  const key = Buffer.from(keyBase64, 'base64');
  if (key.length !== 32) throw new Error('The key-encryption key must be 32 bytes');
  return {
    encrypt(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return ['v1', iv, cipher.getAuthTag(), data].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
    },
    decrypt(ciphertext) {
      const [version, iv, tag, data] = ciphertext.split('.');
      if (version !== 'v1' || !iv || !tag || !data) throw new Error('Unknown encrypted key format');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}
