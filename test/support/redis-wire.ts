/**
 * Watches what one ioredis connection writes to its socket, to count round trips honestly.
 *
 * The app's connections send what one event-loop turn issued as ONE socket write: the socket is
 * corked at the turn's first `write` and uncorked at its end (src/store/redis-write-coalescing.ts),
 * and an explicit pipeline is one `write` of its own. A client cannot wait for a reply to a command
 * it has not yet written: so the number of socket writes is an upper bound on the round trips the
 * app waited for one after another. A `write` made while the socket is corked joins the write it
 * will leave with. Each write is parsed back into its RESP commands, so a test can also check that
 * the traffic it expected really went through the connection it watches (a count of 0 writes
 * would otherwise pass any upper bound).
 */
import type { Redis } from 'ioredis';

/** One command as sent: its name (lower case) and its arguments. */
export type WireCommand = [name: string, ...args: string[]];

export interface WireWatch {
  /** Every write since the watch began, each as the commands it carried. */
  readonly writes: WireCommand[][];
  /** Restores the socket's own `write`. */
  stop(): void;
}

type Writable = { write: (chunk: unknown, ...rest: unknown[]) => boolean; writableCorked: number };

/** Starts recording the writes of `redis` (already connected); always `stop()` it. */
export function watchWrites(redis: Redis): WireWatch {
  const stream = (redis as unknown as { stream: Writable }).stream;
  const own = stream.write;
  const writes: WireCommand[][] = [];
  stream.write = function (chunk: unknown, ...rest: unknown[]) {
    // latin1: one character per byte, so RESP's byte lengths index the text directly.
    const commands = parseCommands((Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk))).toString('latin1'));
    const joins = stream.writableCorked > 0 && writes.length > 0;
    if (joins) writes[writes.length - 1]!.push(...commands);
    else writes.push(commands);
    return own.call(this, chunk, ...rest);
  };
  return { writes, stop: () => void (stream.write = own) };
}

/** Splits RESP request text (arrays of bulk strings, as clients send) into commands. */
export function parseCommands(text: string): WireCommand[] {
  const out: WireCommand[] = [];
  let at = 0;
  const line = () => {
    const end = text.indexOf('\r\n', at);
    if (end < 0) throw new Error(`truncated RESP at ${at}`);
    const l = text.slice(at, end);
    at = end + 2;
    return l;
  };
  while (at < text.length) {
    const head = line();
    if (head[0] !== '*') throw new Error(`expected a RESP array, got ${JSON.stringify(head)}`);
    const parts: string[] = [];
    for (let n = Number(head.slice(1)); n > 0; n--) {
      const size = Number(line().slice(1));
      parts.push(text.slice(at, at + size));
      at += size + 2;
    }
    out.push([parts[0]!.toLowerCase(), ...parts.slice(1)]);
  }
  return out;
}
