/** What the gateway checks of a JSON body before a service parses it. */
export type JsonShape = 'ok' | 'not_an_object' | 'too_deep';

const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * One pass over the bytes, no parse: the body must be an object or an array (every body of the API
 * is; `null` or a bare string reaches handlers that read fields of it), and must not nest deeper than
 * `depthMax` (a recursive parser or fingerprint on 5,000 levels overflows the stack). Brackets inside
 * strings do not count. Malformed JSON is left to the service's parser, which answers 400.
 */
export function jsonShape(body: Buffer, depthMax: number): JsonShape {
  let i = 0;
  while (i < body.length && (body[i] === 0x20 || body[i] === 0x0a || body[i] === 0x0d || body[i] === 0x09)) i++;
  if (i === body.length) return 'not_an_object';
  if (body[i] === 0xef && body[i + 1] === 0xbb && body[i + 2] === 0xbf) return 'not_an_object';
  if (body[i] !== OPEN_OBJECT && body[i] !== OPEN_ARRAY) return 'not_an_object';
  let depth = 0;
  let inString = false;
  for (; i < body.length; i++) {
    const c = body[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === QUOTE) inString = true;
    else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > depthMax) return 'too_deep';
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) depth--;
  }
  return 'ok';
}

/** `application/json`, `application/problem+json`, `...; charset=utf-8`: bodies the shape check applies to. */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}
