# iam.tf - who may do what: cutover's workers (least privilege: exactly the
# calls of common/provider/aws/provider_aws*.c and aws_cloudwatch.c, on this
# environment's resources; the cache flush's SSM Run Command on the two
# groups' instances only), the CodeDeploy service role, and the instances'
# profile (the CodeDeploy agent reads release bundles; the SSM agent takes
# commands; the application reads and writes media).

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account    = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  rule_arns  = "${replace(aws_lb_listener.this.arn, ":listener/", ":listener-rule/")}/*"
  cd_prefix  = "arn:${local.partition}:codedeploy:${local.region}:${local.account}"
  asg_names  = [for g in aws_autoscaling_group.color : g.name]
  group_arns = [for g in aws_codedeploy_deployment_group.color : "${local.cd_prefix}:deploymentgroup:${var.name}/${g.deployment_group_name}"]
}

data "aws_iam_policy_document" "cutover" {
  statement {
    sid       = "ReadTopology"
    actions   = ["autoscaling:DescribeAutoScalingGroups", "elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeRules", "elasticloadbalancing:DescribeTags", "elasticloadbalancing:DescribeTargetHealth"]
    resources = ["*"]
  }
  statement {
    sid       = "ScaleColors"
    actions   = ["autoscaling:UpdateAutoScalingGroup"]
    resources = [for g in aws_autoscaling_group.color : g.arn]
  }
  statement {
    sid       = "ShiftWeightsAndOpenPreviews"
    actions   = ["elasticloadbalancing:ModifyListener", "elasticloadbalancing:CreateRule"]
    resources = [aws_lb_listener.this.arn]
  }
  statement {
    sid       = "ClosePreviews"
    actions   = ["elasticloadbalancing:DeleteRule", "elasticloadbalancing:AddTags"]
    resources = [local.rule_arns]
  }
  statement {
    sid       = "Deploy"
    actions   = ["codedeploy:CreateDeployment", "codedeploy:GetDeployment", "codedeploy:BatchGetDeployments", "codedeploy:ListDeployments", "codedeploy:StopDeployment"]
    resources = local.group_arns
  }
  statement {
    sid       = "DeployRevisions"
    actions   = ["codedeploy:GetApplicationRevision", "codedeploy:RegisterApplicationRevision"]
    resources = ["${local.cd_prefix}:application:${var.name}"]
  }
  statement {
    sid       = "DeployConfig"
    actions   = ["codedeploy:GetDeploymentConfig"]
    resources = ["${local.cd_prefix}:deploymentconfig:*"]
  }
  statement {
    sid       = "ReadAnalysisMetrics"
    actions   = ["cloudwatch:GetMetricData"]
    resources = ["*"] # GetMetricData takes no resource-level permissions
  }
  statement {
    sid       = "FlushCachesWithRunCommand"
    actions   = ["ssm:SendCommand"]
    resources = ["arn:${local.partition}:ssm:${local.region}::document/AWS-RunShellScript"]
  }
  statement {
    # SendCommand is authorized on the document and on each instance: only
    # instances that Auto Scaling launched into this environment's groups
    sid       = "FlushCachesOnTheColorsInstances"
    actions   = ["ssm:SendCommand"]
    resources = ["arn:${local.partition}:ec2:${local.region}:${local.account}:instance/*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/aws:autoscaling:groupName"
      values   = local.asg_names
    }
  }
  statement {
    # how the aws provider follows a command (provider_aws_ssm.c: moto lacks
    # ListCommandInvocations, so it reads ListCommands, then each instance's
    # GetCommandInvocation); none of them takes resource-level permissions
    sid       = "FollowCacheFlushes"
    actions   = ["ssm:ListCommands", "ssm:GetCommandInvocation"]
    resources = ["*"]
  }
  dynamic "statement" {
    for_each = var.cloudfront_distribution_id == "" ? [] : [var.cloudfront_distribution_id]
    content {
      sid       = "FlushCache"
      actions   = ["cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"]
      resources = ["arn:${local.partition}:cloudfront::${local.account}:distribution/${statement.value}"]
    }
  }
}

resource "aws_iam_policy" "cutover" {
  name_prefix = "${var.name}-cutover-"
  description = "cutover workers for environment ${var.name}"
  policy      = data.aws_iam_policy_document.cutover.json
  tags        = var.tags
}

data "aws_iam_policy_document" "codedeploy_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["codedeploy.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "codedeploy" {
  name_prefix        = "${var.name}-codedeploy-"
  assume_role_policy = data.aws_iam_policy_document.codedeploy_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "codedeploy" {
  role       = aws_iam_role.codedeploy.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AWSCodeDeployRole"
}

data "aws_iam_policy_document" "ec2_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "instances" {
  statement {
    sid       = "ReadReleases"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${aws_s3_bucket.releases.arn}/*"]
  }
  statement {
    sid       = "SharedMedia"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${aws_s3_bucket.media.arn}/*"]
  }
  statement {
    sid       = "ListMedia"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.media.arn]
  }
}

resource "aws_iam_role" "instances" {
  name_prefix        = "${var.name}-app-"
  assume_role_policy = data.aws_iam_policy_document.ec2_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "instances" {
  name_prefix = "${var.name}-app-"
  role        = aws_iam_role.instances.id
  policy      = data.aws_iam_policy_document.instances.json
}

resource "aws_iam_role_policy_attachment" "ssm" {
  role       = aws_iam_role.instances.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_instance_profile" "instances" {
  name_prefix = "${var.name}-app-"
  role        = aws_iam_role.instances.name
}
