// A Go program on the generated Go SDK (sdk/go) and the native plugin (tests/e2e/test_native_sdks.py):
// two accounts, the second tagged with the first one's AccountUid. Its go.mod points the SDK's module
// at the checked-in sdk/go (the test sets the path), as a user of an unpublished SDK would.
package main

import (
	af "github.com/OWNER/alicloud-account-factory/sdk/go/alicloudaccountfactory"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		first, err := af.NewEnrolledAccount(ctx, "first", &af.EnrolledAccountArgs{
			AccountNamePrefix: pulumi.String("go-first"),
			DisplayName:       pulumi.String("Go first"),
			Tags:              pulumi.StringMap{"env": pulumi.String("dev")},
		})
		if err != nil {
			return err
		}
		second, err := af.NewEnrolledAccount(ctx, "second", &af.EnrolledAccountArgs{
			AccountNamePrefix: pulumi.String("go-second"),
			DisplayName:       pulumi.String("Go second"),
			Tags:              pulumi.StringMap{"follows": first.AccountUid},
		})
		if err != nil {
			return err
		}
		ctx.Export("firstUid", first.AccountUid)
		ctx.Export("firstStatus", first.Status)
		ctx.Export("secondUid", second.AccountUid)
		ctx.Export("secondTags", second.Tags)
		return nil
	})
}
