import { PROBLEM_CONTENT_TYPE } from '@ionet/platform';
import { Socket } from 'node:net';
import { clientErrorProblem, writeClientError } from './gateway-problems';

const errorWith = (code: string) => Object.assign(new Error(code), { code });

describe('answers written before Fastify sees the request', () => {
  it.each([
    ['HPE_HEADER_OVERFLOW', 431, 'GATEWAY.HEADERS_TOO_LARGE'],
    ['ERR_HTTP_REQUEST_TIMEOUT', 408, 'GATEWAY.REQUEST_TIMEOUT'],
    ['HPE_URI_TOO_LONG', 414, 'GATEWAY.URI_TOO_LONG'],
    ['HPE_INVALID_METHOD', 400, 'GATEWAY.MALFORMED_REQUEST'],
  ])('%s is a %i problem %s', (code, status, problemCode) => {
    expect(clientErrorProblem(errorWith(code))).toMatchObject({ status, code: problemCode, title: expect.any(String) });
  });

  it('writes a complete problem+json response on the socket and closes it', () => {
    const socket = new Socket();
    let written = '';
    Object.defineProperty(socket, 'writable', { value: true });
    socket.end = ((chunk: string) => {
      written += chunk;
      return socket;
    }) as Socket['end'];
    writeClientError(errorWith('HPE_HEADER_OVERFLOW'), socket);
    const [head, body] = written.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(head).toContain(`content-type: ${PROBLEM_CONTENT_TYPE}`);
    expect(head).toContain(`content-length: ${Buffer.byteLength(body!)}`);
    expect(JSON.parse(body!)).toMatchObject({ status: 431, code: 'GATEWAY.HEADERS_TOO_LARGE' });
  });
});
