/**
 * The MD5 digests SQS returns (MD5OfMessageBody, MD5OfMessageAttributes, MD5OfMessageSystemAttributes).
 *
 * Attributes are digested as AWS documents ("Calculating the MD5 message digest for message attributes"):
 * sort by name; for each, the UTF-8 name, the UTF-8 data type and the value, each preceded by its 4-byte big-endian
 * length, with a 1-byte transport type before the value (1 = String/Number, 2 = Binary). Checked against the
 * published vectors of aws-md5-of-message-attributes in the tests.
 */
import { createHash } from 'node:crypto';

export interface MessageAttributeValue {
  DataType: string;
  StringValue?: string;
  /** Base64 (the JSON wire form). */
  BinaryValue?: string;
  StringListValues?: string[];
  BinaryListValues?: string[];
}

export function md5Hex(data: string | Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

export function md5OfMessageAttributes(attributes: Record<string, MessageAttributeValue> | undefined): string | undefined {
  if (!attributes) return undefined;
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const hash = createHash('md5');
  for (const name of names) {
    const attr = attributes[name];
    hash.update(lengthPrefixed(Buffer.from(name, 'utf8')));
    hash.update(lengthPrefixed(Buffer.from(attr.DataType, 'utf8')));
    if (attr.DataType.startsWith('Binary')) {
      hash.update(Buffer.from([2]));
      hash.update(lengthPrefixed(Buffer.from(attr.BinaryValue ?? '', 'base64')));
    } else {
      hash.update(Buffer.from([1]));
      hash.update(lengthPrefixed(Buffer.from(attr.StringValue ?? '', 'utf8')));
    }
  }
  return hash.digest('hex');
}

function lengthPrefixed(bytes: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(bytes.length, 0);
  return Buffer.concat([len, bytes]);
}
