/**
 * The CBOR (RFC 8949) that Smithy RPC v2 CBOR needs, and no more: integers, floats (half/single/double),
 * text and byte strings, arrays, maps (definite or indefinite length), true/false/null/undefined, and tag 1
 * (epoch-seconds timestamps, read as Dates; other tags are read as their content). Encoding writes definite
 * lengths, integers in their shortest form, other numbers as doubles, Dates as tag 1 + seconds, and skips
 * `undefined` members of maps.
 */

export class CborError extends Error {
  override name = 'CborError';
}

const BREAK = Symbol('break');

export function decodeCbor(input: Uint8Array): unknown {
  const bytes = input instanceof Buffer ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  let pos = 0;

  const need = (n: number) => {
    if (pos + n > bytes.length) throw new CborError('Unexpected end of CBOR data');
  };
  const readLength = (info: number): number | undefined => {
    if (info < 24) return info;
    switch (info) {
      case 24:
        need(1);
        return bytes[pos++];
      case 25:
        need(2);
        pos += 2;
        return bytes.readUInt16BE(pos - 2);
      case 26:
        need(4);
        pos += 4;
        return bytes.readUInt32BE(pos - 4);
      case 27: {
        need(8);
        const big = bytes.readBigUInt64BE(pos);
        pos += 8;
        if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new CborError('CBOR integer larger than 2^53 is not supported');
        return Number(big);
      }
      case 31:
        return undefined; // indefinite
      default:
        throw new CborError(`Invalid CBOR additional information ${info}`);
    }
  };

  const item = (): unknown => {
    need(1);
    const initial = bytes[pos++];
    const major = initial >> 5;
    const info = initial & 0x1f;
    switch (major) {
      case 0:
        return readLength(info)!;
      case 1:
        return -1 - readLength(info)!;
      case 2:
      case 3: {
        const len = readLength(info);
        let buf: Buffer;
        if (len === undefined) {
          const chunks: Buffer[] = [];
          for (;;) {
            const chunk = item();
            if (chunk === BREAK) break;
            chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Buffer));
          }
          buf = Buffer.concat(chunks);
        } else {
          need(len);
          buf = bytes.subarray(pos, pos + len);
          pos += len;
        }
        return major === 3 ? buf.toString('utf8') : Buffer.from(buf);
      }
      case 4: {
        const len = readLength(info);
        const out: unknown[] = [];
        if (len === undefined) {
          for (;;) {
            const v = item();
            if (v === BREAK) break;
            out.push(v);
          }
        } else for (let i = 0; i < len; i++) out.push(item());
        return out;
      }
      case 5: {
        const len = readLength(info);
        const out: Record<string, unknown> = {};
        const entry = (): boolean => {
          const k = item();
          if (k === BREAK) return false;
          const v = item();
          if (k === '__proto__') return true;
          out[String(k)] = v;
          return true;
        };
        if (len === undefined) while (entry());
        else for (let i = 0; i < len; i++) entry();
        return out;
      }
      case 6: {
        const tag = readLength(info);
        const content = item();
        if (tag === 1 && typeof content === 'number') return new Date(content * 1000);
        return content;
      }
      case 7:
        switch (info) {
          case 20:
            return false;
          case 21:
            return true;
          case 22:
            return null;
          case 23:
            return undefined;
          case 25: {
            need(2);
            const half = bytes.readUInt16BE(pos);
            pos += 2;
            return halfToNumber(half);
          }
          case 26:
            need(4);
            pos += 4;
            return bytes.readFloatBE(pos - 4);
          case 27:
            need(8);
            pos += 8;
            return bytes.readDoubleBE(pos - 8);
          case 31:
            return BREAK;
          default:
            if (info < 24) return undefined; // unassigned simple values
            throw new CborError(`Unsupported CBOR simple value ${info}`);
        }
    }
    throw new CborError(`Invalid CBOR major type ${major}`);
  };

  if (bytes.length === 0) return undefined;
  const value = item();
  if (value === BREAK) throw new CborError('Unexpected CBOR break');
  if (pos !== bytes.length) throw new CborError('Trailing bytes after the CBOR item');
  return value;
}

function halfToNumber(half: number): number {
  const exp = (half >> 10) & 0x1f;
  const mant = half & 0x3ff;
  const sign = half & 0x8000 ? -1 : 1;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

export function encodeCbor(value: unknown): Buffer {
  const chunks: Buffer[] = [];
  const head = (major: number, n: number) => {
    if (n < 24) chunks.push(Buffer.from([(major << 5) | n]));
    else if (n < 0x100) chunks.push(Buffer.from([(major << 5) | 24, n]));
    else if (n < 0x10000) {
      const b = Buffer.alloc(3);
      b[0] = (major << 5) | 25;
      b.writeUInt16BE(n, 1);
      chunks.push(b);
    } else if (n < 0x100000000) {
      const b = Buffer.alloc(5);
      b[0] = (major << 5) | 26;
      b.writeUInt32BE(n, 1);
      chunks.push(b);
    } else {
      const b = Buffer.alloc(9);
      b[0] = (major << 5) | 27;
      b.writeBigUInt64BE(BigInt(n), 1);
      chunks.push(b);
    }
  };
  const number = (n: number) => {
    if (Number.isSafeInteger(n)) {
      if (n >= 0) head(0, n);
      else head(1, -1 - n);
      return;
    }
    const b = Buffer.alloc(9);
    b[0] = 0xfb;
    b.writeDoubleBE(n, 1);
    chunks.push(b);
  };
  const write = (v: unknown): void => {
    if (v === null || v === undefined) chunks.push(Buffer.from([0xf6]));
    else if (v === true) chunks.push(Buffer.from([0xf5]));
    else if (v === false) chunks.push(Buffer.from([0xf4]));
    else if (typeof v === 'number') number(v);
    else if (typeof v === 'string') {
      const b = Buffer.from(v, 'utf8');
      head(3, b.length);
      chunks.push(b);
    } else if (v instanceof Date) {
      head(6, 1);
      number(v.getTime() / 1000);
    } else if (v instanceof Uint8Array) {
      head(2, v.length);
      chunks.push(Buffer.from(v));
    } else if (Array.isArray(v)) {
      head(4, v.length);
      v.forEach(write);
    } else if (typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
      head(5, entries.length);
      for (const [k, x] of entries) {
        write(k);
        write(x);
      }
    } else throw new CborError(`Cannot encode ${typeof v} as CBOR`);
  };
  write(value);
  return Buffer.concat(chunks);
}
