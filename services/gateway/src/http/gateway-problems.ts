import { PROBLEM_CONTENT_TYPE, problem, type Problem } from '@ionet/platform';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';

/** A problem with the status's standard reason as its title (the platform knows fewer statuses). */
export function gatewayProblem(status: number, code: string, detail: string, extra: Partial<Problem> = {}): Problem {
  return problem(status, code, detail, { title: STATUS_CODES[status] ?? 'Error', ...extra });
}

/**
 * Node answers some requests before Fastify sees them (a header block over 16 KiB, a request that
 * does not parse, a sender too slow): those answers are problem+json too, written on the socket.
 */
export function clientErrorProblem(error: NodeJS.ErrnoException): Problem {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return gatewayProblem(431, 'GATEWAY.HEADERS_TOO_LARGE', 'The request line and headers together must stay under 16 KiB.');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return gatewayProblem(408, 'GATEWAY.REQUEST_TIMEOUT', 'The request did not arrive in time.');
    case 'HPE_URI_TOO_LONG':
      return gatewayProblem(414, 'GATEWAY.URI_TOO_LONG', 'The request target is too long.');
    default:
      return gatewayProblem(400, 'GATEWAY.MALFORMED_REQUEST', 'The request is not valid HTTP/1.1.');
  }
}

export function writeClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (!socket.writable) {
    socket.destroy(error);
    return;
  }
  const body = JSON.stringify(clientErrorProblem(error));
  const status = JSON.parse(body).status as number;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: ${PROBLEM_CONTENT_TYPE}\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
