import type { ServerResponse } from 'node:http';
import { OverloadedError } from '@parley/errors';
import { z } from 'zod';
import { systemTimers, type Timers } from './clock';
import type { RequestScope, RouteHandler } from './http-server';

/**
 * How much one process takes on at once. Past `concurrency` requests in progress, the next ones wait in a queue of
 * `queueLength`; past that they are refused at once. A request that has waited `maxQueueWaitMs` without a slot is
 * refused too: under overload a late answer is worth less than a quick refusal, and a queue that only grows would
 * carry every request into its timeout (what happened before admission control: p95 26 s at 3.7× capacity).
 */
export interface AdmissionLimits {
  concurrency: number;
  queueLength: number;
  maxQueueWaitMs: number;
}

/** A slot of the controller, held while this process works on the request. Releasing it twice frees it once. */
export interface AdmissionPermit {
  release(): void;
}

export type AdmissionEntry =
  | { state: 'admitted'; permit: AdmissionPermit }
  | { state: 'refused'; refusal: OverloadedError }
  /** Settles with a permit when a slot frees, or a refusal once the wait is over; `leave` gives up the place. */
  | { state: 'queued'; outcome: Promise<AdmissionPermit | OverloadedError>; leave(): void };

export interface AdmissionController {
  readonly limits: AdmissionLimits;
  enter(): AdmissionEntry;
  /** Requests in progress and waiting, now. */
  load(): { active: number; queued: number };
}

/**
 * A subgraph's bound when its settings give none: twice the gateway's (`MAX_CONCURRENT_REQUESTS` 16 in
 * gateway/src/config/protection-settings.ts), so that behind one or two gateways at their bounds a subgraph never
 * queues and the gateway's bound is the one that acts; a subgraph's protects it from more gateways (and its other
 * callers) together. A subgraph has DATABASE_POOL_MAX (10) connections, so many more in progress would only wait
 * there; 250 ms of waiting here, after at most 100 ms at the gateway, keeps an admitted request near its latency
 * target and far from the gateway's 10 s subgraph timeout.
 */
export const defaultSubgraphAdmission: AdmissionLimits = { concurrency: 32, queueLength: 64, maxQueueWaitMs: 250 };

/** What a refused client is told to wait: overload is short-lived, and a second is long enough for a queue to move. */
export const OVERLOAD_RETRY_AFTER_SECONDS = 1;

interface Waiter {
  since: number;
  settle(outcome: AdmissionPermit | OverloadedError): void;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/**
 * Bounded concurrency with a bounded, time-limited FIFO queue: the one admission control of every Parley HTTP
 * service (the gateway and each subgraph). A fixed bound rather than an adaptive one (a gradient on latency, as
 * Netflix's concurrency-limits): with the wait bound it keeps admitted requests within their latency target at 3×
 * capacity (bench/overload), and a fixed number is one a person can reason about and set.
 *
 * `service` starts the refusal's sentence ("The gateway", "The chat service"). One timer, for the oldest waiter's
 * deadline, refuses those who waited too long; a slot freed meanwhile also skips them, since a busy event loop runs
 * timers late.
 */
export function createAdmissionController({
  service,
  refusalDetails = {},
  limits,
  now = Date.now,
  timers = systemTimers,
}: {
  service: string;
  /** Public details every refusal carries beside retryAfterSeconds (a subgraph names itself, as the gateway relays it). */
  refusalDetails?: Record<string, unknown>;
  limits: AdmissionLimits;
  now?: () => number;
  timers?: Timers;
}): AdmissionController {
  const { concurrency, queueLength, maxQueueWaitMs } = limits;
  let active = 0;
  const queue: Waiter[] = [];
  let timer: unknown = null;

  const queueFull = () =>
    new OverloadedError(
      `${service} is at capacity (${plural(active, 'request', 'requests')} in progress, ${queue.length} waiting) and did not start this one. Try again in ${OVERLOAD_RETRY_AFTER_SECONDS} s.`,
      OVERLOAD_RETRY_AFTER_SECONDS,
      refusalDetails,
    );
  const waitedTooLong = () =>
    new OverloadedError(
      `${service} is at capacity and this request waited ${maxQueueWaitMs} ms without starting; it was not started rather than answered late. Try again in ${OVERLOAD_RETRY_AFTER_SECONDS} s.`,
      OVERLOAD_RETRY_AFTER_SECONDS,
      refusalDetails,
    );

  function permit(): AdmissionPermit {
    active++;
    let held = true;
    return {
      release() {
        if (!held) return;
        held = false;
        active--;
        next();
      },
    };
  }

  /** A freed slot goes to the longest waiter that is still within its bound. */
  function next() {
    expireWaiters();
    if (active < concurrency && queue.length > 0) queue.shift()!.settle(permit());
  }

  function expireWaiters() {
    const oldestAllowed = now() - maxQueueWaitMs;
    while (queue.length > 0 && queue[0]!.since <= oldestAllowed) queue.shift()!.settle(waitedTooLong());
  }

  function armTimer() {
    if (timer !== null || queue.length === 0) return;
    timer = timers.setTimeout(
      () => {
        timer = null;
        expireWaiters();
        armTimer();
      },
      Math.max(0, queue[0]!.since + maxQueueWaitMs - now()),
    );
  }

  return {
    limits,
    enter() {
      if (active < concurrency && queue.length === 0) return { state: 'admitted', permit: permit() };
      if (queue.length >= queueLength) return { state: 'refused', refusal: queueFull() };
      let waiter!: Waiter;
      const outcome = new Promise<AdmissionPermit | OverloadedError>((resolve) => {
        waiter = { since: now(), settle: resolve };
      });
      queue.push(waiter);
      armTimer();
      return {
        state: 'queued',
        outcome,
        leave() {
          const at = queue.indexOf(waiter);
          if (at === -1) return;
          queue.splice(at, 1);
          waiter.settle(new OverloadedError('The client left before its request was started.'));
        },
      };
    },
    load: () => ({ active, queued: queue.length }),
  };
}

/** A slot, as soon as there is one, or the refusal: for work that is not an HTTP route (an operation over a WebSocket). */
export function waitForAdmission(controller: AdmissionController): Promise<AdmissionPermit | OverloadedError> {
  const entry = controller.enter();
  if (entry.state === 'admitted') return Promise.resolve(entry.permit);
  if (entry.state === 'refused') return Promise.resolve(entry.refusal);
  return entry.outcome;
}

/**
 * A route behind admission control. The request holds its slot until its answer starts (headers written: a stream,
 * once open, is a long-lived connection rather than work in progress), it ends, or the client leaves; a handler
 * about to wait on something that is not this process's work (a model's generation) may let go sooner through
 * `scope.leaveAdmission()`. A refusal is answered at once, with `Retry-After`, by `refuse` in the route's dialect.
 */
export function admitted(
  controller: AdmissionController,
  handler: RouteHandler,
  refuse: (res: ServerResponse, refusal: OverloadedError) => void,
): RouteHandler {
  const answerRefusal = (res: ServerResponse, refusal: OverloadedError) => {
    if (res.headersSent || res.destroyed) return;
    res.setHeader('Retry-After', String(OVERLOAD_RETRY_AFTER_SECONDS));
    refuse(res, refusal);
  };
  return async (req, res, scope) => {
    const entry = controller.enter();
    if (entry.state === 'refused') return answerRefusal(res, entry.refusal);
    let slot: AdmissionPermit;
    if (entry.state === 'admitted') slot = entry.permit;
    else {
      const leave = () => entry.leave();
      res.once('close', leave);
      const outcome = await entry.outcome;
      res.off('close', leave);
      if (outcome instanceof OverloadedError) return answerRefusal(res, outcome);
      slot = outcome;
      if (res.destroyed) return slot.release();
    }
    const release = () => slot.release();
    // Every answer passes through writeHead (res.end and res.write call it implicitly): the moment the answer starts.
    const writeHead = res.writeHead;
    res.writeHead = function (this: ServerResponse, ...args: Parameters<ServerResponse['writeHead']>) {
      release();
      return writeHead.apply(this, args);
    } as ServerResponse['writeHead'];
    res.once('close', release);
    const admittedScope: RequestScope = { ...scope, leaveAdmission: release };
    try {
      await handler(req, res, admittedScope);
    } finally {
      release();
    }
  };
}

const limit = (fallback: number, min: number) =>
  z.coerce
    .number({ message: 'must be a whole number' })
    .int('must be a whole number')
    .min(min, `must be at least ${min}`)
    .default(fallback);

/**
 * The admission settings of an HTTP service (the gateway's and each subgraph's), by environment-variable name, with
 * that service's defaults. See `admissionLimitsFrom`.
 */
export function admissionSettings(defaults: AdmissionLimits) {
  return {
    /** Requests worked on at once; more wait. */
    MAX_CONCURRENT_REQUESTS: limit(defaults.concurrency, 1),
    /** Requests that may wait for a slot; more are refused at once with 503 OVERLOADED. 0: none wait. */
    MAX_QUEUED_REQUESTS: limit(defaults.queueLength, 0),
    /** Longest a request waits for a slot before it is refused instead. */
    MAX_QUEUE_WAIT_MS: limit(defaults.maxQueueWaitMs, 1),
  };
}

/** What each subgraph's settings schema spreads in: the same three variables, with the subgraphs' defaults. */
export const subgraphAdmissionSettings = admissionSettings(defaultSubgraphAdmission);

export function admissionLimitsFrom(settings: {
  MAX_CONCURRENT_REQUESTS: number;
  MAX_QUEUED_REQUESTS: number;
  MAX_QUEUE_WAIT_MS: number;
}): AdmissionLimits {
  return {
    concurrency: settings.MAX_CONCURRENT_REQUESTS,
    queueLength: settings.MAX_QUEUED_REQUESTS,
    maxQueueWaitMs: settings.MAX_QUEUE_WAIT_MS,
  };
}
