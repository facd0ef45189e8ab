import { describe, expect, it } from "vitest";
import { parseSpaceRuntime, spaceRuntime } from "../space/runtime.mjs";

// The smoke test and the load benchmark start the app the way the Space image does, read from
// apps/demo/Dockerfile: a parser that misread it would check and measure something else.
describe("the Space runtime read from the Dockerfile", () => {
  it("takes the last stage’s ENV values and the node options of its exec-form CMD", () => {
    const runtime = parseSpaceRuntime(
      [
        "FROM node:20 AS build",
        "ENV BUILD_ONLY=1",
        'CMD ["node", "build.js"]',
        "FROM node:20-slim",
        'ENV A=1 B="two words" \\',
        "    C=3",
        "# ENV COMMENTED=1",
        "ENV D=",
        'CMD ["node", "--max-old-space-size=192", "--flag", "apps/x/main.js"]',
      ].join("\n")
    );
    expect(runtime).toEqual({
      env: { A: "1", B: "two words", C: "3", D: "" },
      nodeArgs: ["--max-old-space-size=192", "--flag"],
      entry: "apps/x/main.js",
    });
  });

  it("refuses what it cannot reproduce: shell-form CMD, a CMD that is not node, legacy ENV", () => {
    expect(() => parseSpaceRuntime("FROM x\nCMD node main.js")).toThrow(
      /exec form/
    );
    expect(() =>
      parseSpaceRuntime('FROM x\nCMD ["bash", "-c", "node main.js"]')
    ).toThrow(/\["node"/);
    expect(() =>
      parseSpaceRuntime('FROM x\nENV A 1\nCMD ["node", "m.js"]')
    ).toThrow(/ENV without "="/);
    expect(() => parseSpaceRuntime("FROM x\nRUN true")).toThrow(/no CMD/);
  });

  it("reads the demo’s Dockerfile: a bounded heap and the built entry", () => {
    const runtime = spaceRuntime();
    expect(runtime.entry).toBe("apps/demo/dist/main.js");
    expect(
      runtime.nodeArgs.some((a) => /^--max-old-space-size=\d+$/.test(a))
    ).toBe(true);
    expect(runtime.env.NODE_ENV).toBe("production");
  });
});
