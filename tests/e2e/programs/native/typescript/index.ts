// A TypeScript program on the native plugin's generated Node.js SDK (tests/e2e/test_native_yaml.py):
// a baseline, an account that takes it, and a look-up fed by the baseline's id.
import * as af from "@alicloud-account-factory/pulumi";

const network = new af.AccountFactoryBaseline("network", {
    baselineName: "ts-network",
    baselineItems: [{ name: "ACS-BP_ACCOUNT_FACTORY_VPC", config: JSON.stringify({ VpcName: "main" }) }],
}, { retainOnDelete: true });
const team = new af.EnrolledAccount("team", {
    accountNamePrefix: "ts-team",
    displayName: "TypeScript team",
    baselineId: network.baselineId,
    tags: { env: "dev" },
});

export const accountUid = team.accountUid;
export const status = team.status;
export const readBackName = af.getBaselineOutput({ baselineId: network.baselineId }).baselineName;
