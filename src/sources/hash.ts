/**
 * Input hashing: SHA-256 and MD5 in one streaming pass (bounded memory whatever the size).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export interface InputHashes {
  readonly sha256: string;
  readonly md5: string;
  readonly sizeInBytes: number;
}

export async function hashFile(filePath: string): Promise<InputHashes> {
  const sha256 = createHash('sha256');
  const md5 = createHash('md5');
  let sizeInBytes = 0;
  const stream = createReadStream(filePath, { flags: 'r', highWaterMark: 4 * 1024 * 1024 });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    sha256.update(chunk);
    md5.update(chunk);
    sizeInBytes += chunk.length;
  }
  return { sha256: sha256.digest('hex'), md5: md5.digest('hex'), sizeInBytes };
}

export function hashBytes(bytes: Uint8Array): InputHashes {
  return {
    sha256: createHash('sha256').update(bytes).digest('hex'),
    md5: createHash('md5').update(bytes).digest('hex'),
    sizeInBytes: bytes.length,
  };
}
