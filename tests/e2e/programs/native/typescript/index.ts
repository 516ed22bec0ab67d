// A TypeScript program on the generated Node.js SDK (sdk/nodejs) and the native plugin
// (tests/e2e/test_native_sdks.py): a baseline, two accounts that take it, the second tagged with the
// first one's AccountUid (an output feeding another resource), and a look-up fed by the baseline's id.
// Config `env` changes a tag of the first account (an update in place).
import * as pulumi from "@pulumi/pulumi";
import * as af from "@alicloud-account-factory/pulumi";

const config = new pulumi.Config();
const env = config.get("env") ?? "dev";

const network = new af.AccountFactoryBaseline("network", {
    baselineName: "ts-network",
    description: "what every TypeScript account gets",
    baselineItems: [{
        name: "ACS-BP_ACCOUNT_FACTORY_VPC",
        config: JSON.stringify({ VpcName: "main", CidrBlock: "10.0.0.0/16" }),
    }],
}, { retainOnDelete: true });  // the service refuses to delete a baseline its accounts still use

const first = new af.EnrolledAccount("first", {
    accountNamePrefix: "ts-first",
    displayName: "TS first",
    baselineId: network.baselineId,
    tags: { env },
});

const second = new af.EnrolledAccount("second", {
    accountNamePrefix: "ts-second",
    displayName: "TS second",
    baselineId: network.baselineId,
    tags: { follows: first.accountUid },
});

export const baselineId = network.baselineId;
export const readBackName = af.getBaselineOutput({ baselineId: network.baselineId }).baselineName;
export const firstUid = first.accountUid;
export const firstStatus = first.status;
export const secondUid = second.accountUid;
export const secondTags = second.tags;
