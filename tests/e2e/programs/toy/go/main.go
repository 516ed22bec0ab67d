// A Go program on the toy test plugin's generated Go SDK (tests/e2e/test_toolchain.py); its
// go.mod points example.com/toy/sdk/go at the generated SDK (the test sets the path).
package main

import (
	"example.com/toy/sdk/go/toy"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		hello, err := toy.NewGreeting(ctx, "hello", &toy.GreetingArgs{Name: pulumi.String("world")})
		if err != nil {
			return err
		}
		ctx.Export("message", hello.Message)
		ctx.Export("length", hello.Length)
		ctx.Export("measured", toy.GetLengthOutput(ctx, toy.GetLengthOutputArgs{Text: hello.Message}).Length())
		return nil
	})
}
