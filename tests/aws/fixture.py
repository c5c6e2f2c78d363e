#!/usr/bin/env python3
"""fixture - the AWS topology cutover's aws provider expects, built in a
moto server with boto3, and a cutover environment document for it.

usage: fixture.py --endpoint URL --name ENV --env-out PATH --creds-out PATH
                  [--admin-creds-out PATH] [--region us-east-1] [--capacity 2]

1. With moto's bootstrap allowance (moto_server.py's --no-auth-count, 3
   requests), creates the IAM user "fixture-admin" with an allow-all
   policy and an access key. Every later call is signed with that key.
2. Creates the IAM user "cutover" with the provider's least-privilege
   policy (the actions ops/terraform/iam.tf grants) and an access key;
   writes `export AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=...` lines
   for it to --creds-out (mode 0600), and for fixture-admin to
   --admin-creds-out when given.
3. Builds: a VPC with two subnets, an Application Load Balancer with an
   HTTP:80 listener forwarding to the blue target group, target groups
   blue and green, a launch template, Auto Scaling Groups blue (2
   instances) and green (0) attached to them, a CodeDeploy application
   with deployment groups blue and green, an S3 bucket holding
   releases/app-1.0.tar.gz, and a CloudFront distribution in front of
   the load balancer.
4. Writes the environment document (provider "aws") to --env-out and
   prints the names it chose as JSON on stdout.
"""
import argparse
import json
import os

import boto3

PROVIDER_ACTIONS = [
    "autoscaling:DescribeAutoScalingGroups",
    "autoscaling:UpdateAutoScalingGroup",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:ModifyListener",
    "elasticloadbalancing:DescribeTargetHealth",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:CreateRule",
    "elasticloadbalancing:DeleteRule",
    "elasticloadbalancing:AddTags",
    "codedeploy:CreateDeployment",
    "codedeploy:GetDeployment",
    "codedeploy:BatchGetDeployments",
    "codedeploy:ListDeployments",
    "codedeploy:StopDeployment",
    "codedeploy:GetDeploymentConfig",
    "codedeploy:GetApplicationRevision",
    "codedeploy:RegisterApplicationRevision",
    "cloudfront:CreateInvalidation",
    "cloudfront:GetInvalidation",
    "cloudwatch:GetMetricData",
]

# TEST SCAFFOLDING: moto names an action after the service's signing name, and
# CloudWatch signs as "monitoring", so moto checks monitoring:GetMetricData where
# AWS checks cloudwatch:GetMetricData. The alias is granted only in moto.
MOTO_ACTION_ALIASES = ["monitoring:GetMetricData"]

# Paths the environment invalidates; the second needs escaping in XML.
CLOUDFRONT_PATHS = ["/*", "/shop/?a=1&b=<2>"]


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--env-out", required=True)
    ap.add_argument("--creds-out", required=True)
    ap.add_argument("--admin-creds-out", help="the same for fixture-admin (tests read with it)")
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--capacity", type=int, default=2)
    return ap.parse_args()


def client(args, service, key):
    return boto3.client(service, endpoint_url=args.endpoint, region_name=args.region,
                        aws_access_key_id=key[0], aws_secret_access_key=key[1])


def user_with_policy(iam, name, actions):
    """An IAM user allowed actions on every resource, and its access key."""
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName=f"{name}-policy", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def network(ec2, region):
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24",
                                 AvailabilityZone=f"{region}{zone}")["Subnet"]["SubnetId"]
               for i, zone in ((1, "a"), (2, "b"))]
    return vpc, subnets


def load_balancer(elb, name, vpc, subnets):
    lb = elb.create_load_balancer(Name=f"{name}-alb", Subnets=subnets, Type="application",
                                  Scheme="internet-facing")["LoadBalancers"][0]
    tgs = {}
    for color in ("blue", "green"):
        tgs[color] = elb.create_target_group(
            Name=f"{name}-{color}", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="instance",
            HealthCheckPath="/health")["TargetGroups"][0]["TargetGroupArn"]
    listener = elb.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tgs["blue"]}])["Listeners"][0]
    return listener["ListenerArn"], tgs, lb["DNSName"]


def groups(args, ec2, autoscaling, name, subnets, tgs):
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    ec2.create_launch_template(LaunchTemplateName=f"{name}-lt", LaunchTemplateData={
        "ImageId": image, "InstanceType": "t3.small"})
    asgs = {}
    for color, size in (("blue", args.capacity), ("green", 0)):
        asgs[color] = f"{name}-{color}"
        autoscaling.create_auto_scaling_group(
            AutoScalingGroupName=asgs[color],
            LaunchTemplate={"LaunchTemplateName": f"{name}-lt", "Version": "$Latest"},
            MinSize=size, MaxSize=max(size, 4), DesiredCapacity=size,
            VPCZoneIdentifier=",".join(subnets), TargetGroupARNs=[tgs[color]],
            HealthCheckType="ELB")
    return asgs


def codedeploy(args, iam, cd, name, asgs):
    role = iam.create_role(RoleName=f"{name}-codedeploy", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"Service": "codedeploy.amazonaws.com"}}]}))
    cd.create_application(applicationName=name, computePlatform="Server")
    dgs = {}
    for color in ("blue", "green"):
        dgs[color] = f"{name}-{color}"
        cd.create_deployment_group(applicationName=name, deploymentGroupName=dgs[color],
                                   serviceRoleArn=role["Role"]["Arn"], autoScalingGroups=[asgs[color]],
                                   deploymentConfigName="CodeDeployDefault.OneAtATime")
    return dgs


def distribution(cloudfront, name, dns):
    """A CloudFront distribution in front of the load balancer; its id."""
    origin = {"Id": "alb", "DomainName": dns,
              "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443,
                                     "OriginProtocolPolicy": "http-only"}}
    config = {"CallerReference": name, "Comment": name, "Enabled": True,
              "Origins": {"Quantity": 1, "Items": [origin]},
              "DefaultCacheBehavior": {"TargetOriginId": "alb", "ViewerProtocolPolicy": "allow-all",
                                       "MinTTL": 0,
                                       "ForwardedValues": {"QueryString": True,
                                                           "Cookies": {"Forward": "all"}}}}
    return cloudfront.create_distribution(DistributionConfig=config)["Distribution"]["Id"]


def write_private(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def main():
    args = parse_args()
    name = args.name
    iam = client(args, "iam", ("bootstrap", "bootstrap"))
    admin = user_with_policy(iam, "fixture-admin", ["*"])  # the 3 unchecked requests
    iam = client(args, "iam", admin)
    cutover = user_with_policy(iam, "cutover", PROVIDER_ACTIONS + MOTO_ACTION_ALIASES)
    ec2 = client(args, "ec2", admin)
    elb = client(args, "elbv2", admin)
    vpc, subnets = network(ec2, args.region)
    listener, tgs, dns = load_balancer(elb, name, vpc, subnets)
    asgs = groups(args, ec2, client(args, "autoscaling", admin), name, subnets, tgs)
    dgs = codedeploy(args, iam, client(args, "codedeploy", admin), name, asgs)
    bucket = f"{name}-releases"
    s3 = client(args, "s3", admin)
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="releases/app-1.0.tar.gz", Body=b"release 1.0")
    cdn = distribution(client(args, "cloudfront", admin), name, dns)
    env = {"name": name, "provider": "aws", "capacity": args.capacity,
           "aws": {"region": args.region, "listener_arn": listener, "target_groups": tgs,
                   "auto_scaling_groups": asgs,
                   "codedeploy": {"application": name, "deployment_groups": dgs},
                   "preview": {"priority": 10}, "capacity": {"min": 1, "max": 4},
                   "cloudfront": {"distribution_id": cdn, "paths": CLOUDFRONT_PATHS}}}
    with open(args.env_out, "w") as f:
        json.dump(env, f, indent=1)
    for path, key in ((args.creds_out, cutover), (args.admin_creds_out, admin)):
        if path:
            write_private(path, f"export AWS_ACCESS_KEY_ID={key[0]}\n"
                                f"export AWS_SECRET_ACCESS_KEY={key[1]}\n")
    print(json.dumps({"bucket": bucket, "dns": dns, "listener": listener,
                      "target_groups": tgs, "auto_scaling_groups": asgs,
                      "application": name, "deployment_groups": dgs, "distribution": cdn}))


if __name__ == "__main__":
    main()
