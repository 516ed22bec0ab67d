"""The native Pulumi resource provider plugin `pulumi-resource-alicloud-account-factory`: a front door.

It serves Pulumi's ResourceProvider gRPC service so that programs in every Pulumi language (YAML,
TypeScript, Go, C#, Java, Python through a generated SDK) can use `EnrolledAccount` and
`AccountFactoryBaseline`. It only translates: requests into the calls of the same providers the
dynamic provider runs, their answers back into the protocol. Every internal module it uses is
imported in one place, `core`.
"""
