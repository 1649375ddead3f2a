/**
 * One way for every node to join and leave its easee-config node, and to keep its close inside Node-RED's 15 s
 * close timeout: a close handler that waits for the config node does so through `withCloseGuard`, which always
 * settles, never rejects and leaves no timer behind.
 */
import type { DeliverySubscriber, EaseeConfigNode } from "./config-api";

/** How long a flow node waits for deregister() (which promises a few seconds) before it calls done() anyway. */
export const NODE_CLOSE_GUARD_MS = 10_000;

/**
 * How long the config node waits for its connection to close. Shorter than NODE_CLOSE_GUARD_MS, so a flow node
 * waiting for the config node still sees it finish.
 */
export const CONFIG_CLOSE_GUARD_MS = 5000;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Resolves when `work` settles or after `guardMs`, whichever comes first. A rejection (or a synchronous throw of
 * `work`) goes to `onError` and still resolves.
 */
export function withCloseGuard(
  work: () => Promise<unknown> | unknown,
  guardMs: number,
  onError: (message: string) => void = () => undefined,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, guardMs);
  });
  const done = Promise.resolve()
    .then(work)
    .then(
      () => undefined,
      (error: unknown) => onError(messageOf(error)),
    );
  return Promise.race([done, guard]).finally(() => clearTimeout(timer));
}

/**
 * Registers `subscriber` with the config node. A register that throws is reported through `onError` (the node
 * then shows and logs why) instead of failing the node's constructor. Returns whether it worked.
 */
export function joinConfig(config: EaseeConfigNode, subscriber: DeliverySubscriber, onError: (message: string) => void): boolean {
  try {
    config.register(subscriber);
    return true;
  } catch (error) {
    onError(messageOf(error));
    return false;
  }
}

/**
 * The close of a node registered with a config node: deregisters within NODE_CLOSE_GUARD_MS (a failure goes to
 * `onError`), then calls `done`. Without a config node it calls `done` at once.
 */
export function leaveConfig(
  config: EaseeConfigNode | undefined,
  subscriber: DeliverySubscriber,
  done: () => void,
  onError: (message: string) => void,
): void {
  if (config === undefined) {
    done();
    return;
  }
  void withCloseGuard(() => config.deregister(subscriber), NODE_CLOSE_GUARD_MS, onError).then(done);
}
