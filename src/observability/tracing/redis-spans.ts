/**
 * One CLIENT span per Redis round trip of a request (database client semantic conventions for
 * Redis, https://opentelemetry.io/docs/specs/semconv/database/redis/): the commands a request issues
 * on one connection in one event-loop turn leave in one write (src/store/redis-write-coalescing.ts),
 * so they are one span, named by its commands (`HMGET MGET`: the session check and the cache lookup
 * of a cached read), ended by the last reply. A command outside any request (a key ring poll, a
 * script load at connect) records nothing. Arguments never reach an attribute: they hold session
 * fields and cache entries.
 */
import { type Attributes, context, type Span, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import {
  ATTR_DB_NAMESPACE,
  ATTR_DB_OPERATION_BATCH_SIZE,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_SUMMARY,
  ATTR_DB_SYSTEM_NAME,
  ATTR_ERROR_TYPE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
} from '@opentelemetry/semantic-conventions';
import type { Redis } from 'ioredis';
import { errorType } from './error-type';

/** `db.system.name` of Redis (an incubating value of the conventions, kept here as they advise). */
const DB_SYSTEM_NAME_VALUE_REDIS = 'redis';

/** What the wrapper reads of an ioredis Command. */
interface Command {
  name: string;
  promise: Promise<unknown>;
}

/** A connection as the wrapper sees it: the Redis or Cluster client, or one Cluster node. */
interface Sender {
  sendCommand(command: Command, ...rest: unknown[]): unknown;
  on(event: '+node', listener: (node: Sender) => void): unknown;
  options?: { host?: string; port?: number; db?: number; sentinels?: unknown };
  isCluster?: boolean;
}

/** The commands of one request on one connection in one turn, and their span. */
interface Trip {
  span: Span;
  /** The turn's trips, and this one's key there. */
  turn: Map<Span, Trip>;
  parent: Span;
  names: string[];
  pending: number;
  failure: string | undefined;
}

const traced = new WeakSet<object>();
/** Commands already counted: a Cluster's go through its own sendCommand, then a node's. */
const counted = new WeakSet<Command>();

/** Records `client`'s round trips (a Cluster's across its nodes) as spans under the active request. */
export function traceRedis(client: Redis, tracer: Tracer): void {
  const sender = client as unknown as Sender;
  wrap(sender, tracer, connectionAttributes(sender));
  // A Cluster's pipelines go to the nodes directly (ioredis Pipeline.exec): follow them there.
  if (sender.isCluster) sender.on('+node', (node) => wrap(node, tracer, connectionAttributes(node)));
}

function wrap(sender: Sender, tracer: Tracer, attributes: Attributes): void {
  if (traced.has(sender)) return;
  traced.add(sender);
  const send = sender.sendCommand;
  /** This turn's trips by the span of the request that issued them; forgotten at the turn's end. */
  let trips: Map<Span, Trip> | undefined;
  const endTurn = () => {
    trips = undefined;
  };
  sender.sendCommand = function (this: Sender, command: Command, ...rest: unknown[]) {
    const result = send.call(this, command, ...rest);
    const parent = trace.getSpan(context.active());
    if (!parent?.isRecording() || counted.has(command)) return result;
    counted.add(command);
    if (!trips) {
      trips = new Map();
      setImmediate(endTurn);
    }
    let trip = trips.get(parent);
    if (!trip) {
      const name = command.name.toUpperCase();
      const span = tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, context.active());
      trip = { span, turn: trips, parent, names: [], pending: 0, failure: undefined };
      trips.set(parent, trip);
    }
    const current = trip;
    current.names.push(command.name.toUpperCase());
    current.pending++;
    command.promise.then(
      () => settle(current),
      (err: unknown) => {
        current.failure ??= errorType(err);
        settle(current);
      },
    );
    return result;
  };
}

function settle(trip: Trip): void {
  if (--trip.pending > 0) return;
  // A trip whose replies all came within its turn (a command refused at once): the turn's next
  // command for that request starts a new one.
  if (trip.turn.get(trip.parent) === trip) trip.turn.delete(trip.parent);
  const { span, names } = trip;
  const summary = names.join(' ');
  span.updateName(summary);
  const attributes: Attributes = { [ATTR_DB_QUERY_SUMMARY]: summary };
  if (names.length === 1) attributes[ATTR_DB_OPERATION_NAME] = names[0];
  else {
    // Conventions: a batch of one command is `BATCH <command>`, of several, `BATCH`.
    attributes[ATTR_DB_OPERATION_NAME] = names.every((n) => n === names[0]) ? `BATCH ${names[0]}` : 'BATCH';
    attributes[ATTR_DB_OPERATION_BATCH_SIZE] = names.length;
  }
  if (trip.failure) {
    attributes[ATTR_ERROR_TYPE] = trip.failure;
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.setAttributes(attributes);
  span.end();
}

function connectionAttributes(sender: Sender): Attributes {
  const attributes: Attributes = { [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_VALUE_REDIS };
  const options = sender.options;
  // A Cluster's or a Sentinel group's node is known per command only: no server attributes then.
  if (!options || sender.isCluster || options.sentinels) return attributes;
  attributes[ATTR_DB_NAMESPACE] = String(options.db ?? 0);
  if (options.host) attributes[ATTR_SERVER_ADDRESS] = options.host;
  if (options.port) attributes[ATTR_SERVER_PORT] = options.port;
  return attributes;
}
