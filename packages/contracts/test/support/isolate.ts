import type { Hex } from "viem";
import { afterEach, beforeEach } from "vitest";
import type { Fixture } from "./fixture.ts";

/** Registers beforeEach/afterEach hooks that snapshot and restore the chain around each test. */
export function isolateEachTest(getFixture: () => Fixture): void {
  let snapshot: Hex | undefined;
  beforeEach(async () => {
    snapshot = await getFixture().net.testClient.snapshot();
  });
  afterEach(async () => {
    if (snapshot !== undefined) await getFixture().net.testClient.revert({ id: snapshot });
  });
}
