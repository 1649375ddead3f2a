/** The test helper, initialised once in test/setup.ts. Import it from here in every node test. */
import helper from "node-red-node-test-helper";

export { helper };

export function startServer(): Promise<void> {
  return new Promise((resolve) => helper.startServer(() => resolve()));
}

export async function stopServer(): Promise<void> {
  await helper.unload();
  await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
}
