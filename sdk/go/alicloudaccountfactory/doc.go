// Enroll Alibaba Cloud accounts in Cloud Governance Center's Account Factory, and manage its baselines.
package alicloudaccountfactory
