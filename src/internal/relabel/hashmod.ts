/**
 * The `hashmod` action's arithmetic, as Prometheus computes it: MD5 of the UTF-8 bytes of the joined source values,
 * bytes 8..15 of the digest read as a big-endian uint64, modulo `modulus`. BigInt, because the value needs 64 bits.
 */
import * as crypto from 'node:crypto';

// crypto.hash (one-shot, faster) is in Node >= 20.12; createHash everywhere.
const md5: (value: string) => Buffer =
  typeof crypto.hash === 'function' ? (value) => crypto.hash('md5', value, 'buffer') : (value) => crypto.createHash('md5').update(value, 'utf8').digest();

export function hashMod(value: string, modulus: bigint): string {
  return (md5(value).readBigUInt64BE(8) % modulus).toString();
}
