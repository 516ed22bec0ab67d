// A TypeScript program on the toy test plugin's generated Node.js SDK (tests/e2e/test_toolchain.py).
import * as toy from "@toy/toy";

const hello = new toy.Greeting("hello", { name: "world" });

export const message = hello.message;
export const length = hello.length;
export const measured = toy.getLengthOutput({ text: hello.message }).length;
