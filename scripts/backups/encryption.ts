import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { BackupError } from './backup-error';

/**
 * Client-side encryption of a backup (`.dump.enc`), so a copy that leaves the
 * volume or the bucket is unreadable without BACKUP_ENCRYPTION_KEY:
 *
 *   header (29 bytes): "PARLEYBK" · format version (1 byte, 1) · key id (8 bytes) · IV (12 random bytes)
 *   ciphertext: AES-256-GCM of the pg_dump archive, the header as additional data
 *   trailer (16 bytes): the GCM tag
 *
 * The key id is the first 8 bytes of SHA-256 of the key: restore tells a wrong
 * key from a damaged file without revealing anything of the key. One (key, IV)
 * pair encrypts at most 64 GiB under GCM; a Parley dump is far smaller.
 */

export const MAGIC = Buffer.from('PARLEYBK', 'ascii');
export const FORMAT_VERSION = 1;
const KEY_ID_LENGTH = 8;
const IV_LENGTH = 12;
export const HEADER_LENGTH = MAGIC.length + 1 + KEY_ID_LENGTH + IV_LENGTH;
export const TAG_LENGTH = 16;

export const keyId = (key: Buffer) => createHash('sha256').update(key).digest().subarray(0, KEY_ID_LENGTH).toString('hex');

/** BACKUP_ENCRYPTION_KEY's bytes, or why it is not a key. */
export function parseEncryptionKey(base64: string): Buffer | string {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64.trim())) return 'must be 32 random bytes in base64 (e.g. `openssl rand -base64 32`)';
  const key = Buffer.from(base64.trim(), 'base64');
  return key.length === 32
    ? key
    : `must be 32 random bytes in base64 (e.g. \`openssl rand -base64 32\`); it decodes to ${key.length} bytes`;
}

/** Encrypts a stream of archive bytes into the format above. */
export async function* encryptStream(source: AsyncIterable<Buffer>, key: Buffer): AsyncGenerator<Buffer> {
  const iv = randomBytes(IV_LENGTH);
  const header = Buffer.concat([MAGIC, Buffer.from([FORMAT_VERSION]), Buffer.from(keyId(key), 'hex'), iv]);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(header);
  yield header;
  for await (const chunk of source) {
    const out = cipher.update(chunk);
    if (out.length > 0) yield out;
  }
  const last = cipher.final();
  if (last.length > 0) yield last;
  yield cipher.getAuthTag();
}

/** Whether a file starts with the encrypted format's magic bytes. */
export async function isEncryptedFile(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const start = Buffer.alloc(MAGIC.length);
    const { bytesRead } = await handle.read(start, 0, MAGIC.length, 0);
    return bytesRead === MAGIC.length && start.equals(MAGIC);
  } finally {
    await handle.close();
  }
}

/**
 * Decrypts an encrypted backup file chunk by chunk. What it yields is not
 * authenticated until the generator has finished: write it to a temporary file
 * and use that only when this completed without throwing.
 */
export async function* decryptFile(path: string, key: Buffer): AsyncGenerator<Buffer> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size < HEADER_LENGTH + TAG_LENGTH) throw new BackupError(`${path} is too short to be an encrypted Parley backup (${size} bytes)`);
    const header = Buffer.alloc(HEADER_LENGTH);
    await handle.read(header, 0, HEADER_LENGTH, 0);
    if (!header.subarray(0, MAGIC.length).equals(MAGIC))
      throw new BackupError(`${path} is not an encrypted Parley backup (no PARLEYBK header)`);
    const version = header[MAGIC.length]!;
    if (version !== FORMAT_VERSION) {
      throw new BackupError(
        `${path} is in encrypted backup format ${version}; this restore reads format ${FORMAT_VERSION} (use a newer Parley)`,
      );
    }
    const fileKeyId = header.subarray(MAGIC.length + 1, MAGIC.length + 1 + KEY_ID_LENGTH).toString('hex');
    if (fileKeyId !== keyId(key)) {
      throw new BackupError(
        `${path} was encrypted with another key (key id ${fileKeyId}; BACKUP_ENCRYPTION_KEY has key id ${keyId(key)}): set BACKUP_ENCRYPTION_KEY to the key the backup was made with`,
      );
    }
    const tag = Buffer.alloc(TAG_LENGTH);
    await handle.read(tag, 0, TAG_LENGTH, size - TAG_LENGTH);
    const decipher = createDecipheriv('aes-256-gcm', key, header.subarray(HEADER_LENGTH - IV_LENGTH));
    decipher.setAAD(header);
    decipher.setAuthTag(tag);
    const chunk = Buffer.alloc(1 << 20);
    for (let position = HEADER_LENGTH; position < size - TAG_LENGTH;) {
      const { bytesRead } = await handle.read(chunk, 0, Math.min(chunk.length, size - TAG_LENGTH - position), position);
      if (bytesRead === 0) throw new BackupError(`${path} ended early while it was being read`);
      position += bytesRead;
      yield Buffer.from(decipher.update(chunk.subarray(0, bytesRead)));
    }
    try {
      const last = decipher.final();
      if (last.length > 0) yield last;
    } catch {
      throw new BackupError(
        `${path} does not authenticate: the encrypted backup was altered or damaged after it was written; it is not restored`,
      );
    }
  } finally {
    await handle.close();
  }
}
