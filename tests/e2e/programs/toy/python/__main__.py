"""A Python program on the toy test plugin's generated Python SDK (tests/e2e/test_toolchain.py)."""

import pulumi
import pulumi_toy as toy

hello = toy.Greeting("hello", name="world")

pulumi.export("message", hello.message)
pulumi.export("length", hello.length)
pulumi.export("measured", toy.get_length_output(text=hello.message).length)
