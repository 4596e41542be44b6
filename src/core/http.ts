import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { HostPort } from './config/schema.js';

/** Starts listening, turning the usual failures into one clear sentence. */
type Server = HttpServer | HttpsServer;

export async function listen(server: Server, address: HostPort, written: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => reject(new Error(`cannot listen on ${written}: ${describeListenError(error)}`));
    server.once('error', onError);
    server.listen(address.port, address.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Closes a server and every connection it holds, keep-alive ones included. */
export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

function describeListenError(error: NodeJS.ErrnoException): string {
  if (error.code === 'EADDRINUSE') return 'address already in use (is another agent running?)';
  if (error.code === 'EACCES') return 'permission denied';
  if (error.code === 'EADDRNOTAVAIL') return 'address not available on this machine';
  return error.message;
}
