/**
 * crc32Combine(crcA, crcB, lengthB): the CRC-32 (gzip's, as zlib.crc32) of A followed by B from the CRCs of
 * A and B, without reading either. The workers send each compressed run's CRC with it, so the main thread
 * chains a gzip body's trailer from a few numbers instead of reading every raw byte again.
 *
 * The arithmetic is zlib's crc32_combine (zlib 1.2.12 and later): CRC-32 is linear over GF(2), so
 * crc(A || B) = crc(A) * x^(8 * |B|) mod P  xor  crc(B), with polynomials in zlib's reflected bit order
 * (the most significant bit is x^0). x^(2^k) mod P is precomputed for k = 0..31, so the power of x costs one
 * multiplication per set bit of |B| (about 20 for a 1 MiB run), each 32 shift-and-xor steps.
 */

/** CRC-32's polynomial, reflected. */
const POLY = 0xedb88320;

/** a * b modulo P, both reflected. */
function multModP(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  for (;;) {
    if ((a & m) !== 0) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return p >>> 0;
}

/** X2N[k] = x^(2^k) modulo P. */
const X2N = new Uint32Array(32);
{
  let p = 0x40000000; // x^1
  X2N[0] = p;
  for (let k = 1; k < 32; k++) X2N[k] = p = multModP(p, p);
}

/** x^(n * 2^k) modulo P. */
function x2nModP(n: number, k: number): number {
  let p = 0x80000000; // x^0
  while (n > 0) {
    if (n % 2 === 1) p = multModP(X2N[k & 31]!, p);
    n = Math.floor(n / 2);
    k++;
  }
  return p;
}

/** The CRC-32 of A then B, from crcA, crcB and B's length in bytes. */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  if (lengthB === 0) return crcA >>> 0;
  return (multModP(x2nModP(lengthB, 3), crcA >>> 0) ^ crcB) >>> 0;
}
