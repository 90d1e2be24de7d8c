"""The AWS CDK app of the OMS: one stack, one construct per concern."""
