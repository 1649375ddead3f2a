/**
 * nodes/shared/lifecycle: the one close guard, join and leave every node uses with its config node.
 */
import assert from "node:assert/strict";
import type { DeliverySubscriber, EaseeConfigNode } from "../../nodes/shared/config-api";
import { joinConfig, leaveConfig, withCloseGuard } from "../../nodes/shared/lifecycle";

/** Runs `work` and returns how many timers it started and did not clear. */
async function timersLeftBy(work: () => Promise<void>): Promise<number> {
  const started = new Set<unknown>();
  const realSet = globalThis.setTimeout;
  const realClear = globalThis.clearTimeout;
  // Spies around the real functions, so the guard's timer is counted whoever else runs timers meanwhile.
  globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
    const handle = realSet(...args);
    started.add(handle);
    return handle;
  }) as typeof setTimeout;
  globalThis.clearTimeout = ((handle?: Parameters<typeof clearTimeout>[0]) => {
    started.delete(handle);
    realClear(handle);
  }) as typeof clearTimeout;
  try {
    await work();
  } finally {
    globalThis.setTimeout = realSet;
    globalThis.clearTimeout = realClear;
  }
  return started.size;
}

function fakeConfig(behaviour: { register?: () => void; deregister?: () => Promise<void> }): EaseeConfigNode {
  return {
    register: behaviour.register ?? (() => undefined),
    deregister: behaviour.deregister ?? (() => Promise.resolve()),
  } as unknown as EaseeConfigNode;
}

const subscriber: DeliverySubscriber = { id: "n1", onObservation: () => undefined };

describe("node lifecycle (nodes/shared/lifecycle)", () => {
  it("withCloseGuard resolves with the work and leaves no timer", async () => {
    let ran = false;
    const left = await timersLeftBy(() =>
      withCloseGuard(async () => {
        ran = true;
      }, 60_000),
    );
    assert.equal(ran, true);
    assert.equal(left, 0);
  });

  it("withCloseGuard reports a rejection or a throw and still resolves", async () => {
    const errors: string[] = [];
    await withCloseGuard(() => Promise.reject(new Error("broker gone")), 60_000, (m) => errors.push(m));
    await withCloseGuard(() => {
      throw new Error("sync");
    }, 60_000, (m) => errors.push(m));
    assert.deepEqual(errors, ["broker gone", "sync"]);
  });

  it("withCloseGuard gives up on work that never settles after the guard time", async () => {
    const started = Date.now();
    const left = await timersLeftBy(() => withCloseGuard(() => new Promise<void>(() => undefined), 30));
    assert.ok(Date.now() - started >= 25);
    assert.equal(left, 0);
  });

  it("joinConfig registers, or reports a register that throws instead of throwing", () => {
    const registered: string[] = [];
    assert.equal(joinConfig(fakeConfig({ register: () => registered.push("n1") }), subscriber, () => assert.fail()), true);
    assert.deepEqual(registered, ["n1"]);
    const errors: string[] = [];
    const failing = fakeConfig({
      register: () => {
        throw new Error("config node closing");
      },
    });
    assert.equal(joinConfig(failing, subscriber, (m) => errors.push(m)), false);
    assert.deepEqual(errors, ["config node closing"]);
  });

  it("leaveConfig deregisters then calls done; without a config node done comes at once; a failed deregister is reported", async () => {
    let doneCalls = 0;
    leaveConfig(undefined, subscriber, () => doneCalls++, () => assert.fail());
    assert.equal(doneCalls, 1);

    const order: string[] = [];
    await new Promise<void>((resolve) =>
      leaveConfig(
        fakeConfig({ deregister: async () => void order.push("deregister") }),
        subscriber,
        () => {
          order.push("done");
          resolve();
        },
        () => assert.fail(),
      ),
    );
    assert.deepEqual(order, ["deregister", "done"]);

    const errors: string[] = [];
    await new Promise<void>((resolve) =>
      leaveConfig(fakeConfig({ deregister: () => Promise.reject(new Error("timeout")) }), subscriber, resolve, (m) => errors.push(m)),
    );
    assert.deepEqual(errors, ["timeout"]);
  });
});
