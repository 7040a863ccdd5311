/**
 * A POST /token whose body is only partly sent: the request is in flight until the test sends the
 * rest (or the server gives up), which is how the drain tests hold a request open across SIGTERM.
 */
import net from 'node:net';

/** Sends a request head and the first `sentBytes` of its body on a raw socket; resolves once connected. */
export async function partialTokenRequest(
  url: string,
  body: string,
  sentBytes: number,
): Promise<{ socket: net.Socket; response: Promise<string> }> {
  const socket = net.connect(Number(new URL(url).port), '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('connect', resolve));
  let text = '';
  socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
  const response = new Promise<string>((resolve) => socket.on('close', () => resolve(text)));
  socket.write(
    `POST /token HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n`,
  );
  socket.write(body.slice(0, sentBytes));
  return { socket, response };
}
