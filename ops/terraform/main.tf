# main.tf - the topology cutover's aws provider drives: an Application Load
# Balancer whose listener forwards to two weighted target groups (blue and
# green), one Auto Scaling Group per color from one launch template, a
# CodeDeploy application with one deployment group per color, and an S3
# bucket for release bundles and shared media (WooCommerce uploads).
#
# cutover owns, after creation: the listener's default action (weights),
# the groups' desired capacity, and the preview rule; Terraform ignores
# those changes so that a plan never fights a deployment.

terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

data "aws_vpc" "this" {
  id = var.vpc_id
}

locals {
  colors = toset(["blue", "green"])
  https  = var.certificate_arn != ""
}

resource "aws_security_group" "alb" {
  name_prefix = "${var.name}-alb-"
  description = "${var.name}: the load balancer; visitors in, the instances out"
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "alb_visitors" {
  security_group_id = aws_security_group.alb.id
  description       = "Visitors of the shop"
  ip_protocol       = "tcp"
  from_port         = local.https ? 443 : 80
  to_port           = local.https ? 443 : 80
  cidr_ipv4         = "0.0.0.0/0"
  tags              = var.tags
}

resource "aws_vpc_security_group_egress_rule" "alb_instances" {
  security_group_id            = aws_security_group.alb.id
  description                  = "Requests and health checks to both colors' instances"
  ip_protocol                  = "tcp"
  from_port                    = 80
  to_port                      = 80
  referenced_security_group_id = aws_security_group.instances.id
  tags                         = var.tags
}

resource "aws_security_group" "instances" {
  name_prefix = "${var.name}-app-"
  description = "${var.name}: both colors' instances; the load balancer in"
  vpc_id      = var.vpc_id
  tags        = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "instances_alb" {
  # checkov:skip=CKV_AWS_260:the source is the load balancer's security group, not 0.0.0.0/0
  security_group_id            = aws_security_group.instances.id
  description                  = "Requests and health checks from the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = 80
  to_port                      = 80
  referenced_security_group_id = aws_security_group.alb.id
  tags                         = var.tags
}

# The instances reach the database, the cache and anything else of the shop
# inside the VPC, and the internet on var.instance_egress_ports only (443:
# the AWS APIs, the CodeDeploy and SSM agents, payment gateways).
resource "aws_vpc_security_group_egress_rule" "instances_vpc" {
  security_group_id = aws_security_group.instances.id
  description       = "The shop's database, cache and other services inside the VPC"
  ip_protocol       = "-1"
  cidr_ipv4         = data.aws_vpc.this.cidr_block
  tags              = var.tags
}

resource "aws_vpc_security_group_egress_rule" "instances_internet" {
  for_each          = toset([for p in var.instance_egress_ports : tostring(p)])
  security_group_id = aws_security_group.instances.id
  description       = "Outbound TCP ${each.key}: AWS APIs, the CodeDeploy and SSM agents, the shop's outside services"
  ip_protocol       = "tcp"
  from_port         = tonumber(each.key)
  to_port           = tonumber(each.key)
  cidr_ipv4         = "0.0.0.0/0"
  tags              = var.tags
}

resource "aws_lb" "this" {
  name                       = "${var.name}-alb"
  load_balancer_type         = "application"
  subnets                    = var.public_subnet_ids
  security_groups            = [aws_security_group.alb.id]
  drop_invalid_header_fields = true # no request smuggling through malformed headers
  enable_deletion_protection = var.deletion_protection
  tags                       = var.tags

  access_logs {
    enabled = var.access_logs
    bucket  = local.access_logs_bucket
    prefix  = "alb"
  }
}

resource "aws_lb_target_group" "color" {
  for_each             = local.colors
  name                 = "${var.name}-${each.key}"
  port                 = 80
  protocol             = "HTTP"
  vpc_id               = var.vpc_id
  deregistration_delay = 30
  tags                 = var.tags

  health_check {
    path                = var.health_check_path
    healthy_threshold   = 2
    unhealthy_threshold = 2
    interval            = 10
    matcher             = "200"
  }
}

resource "aws_lb_listener" "this" {
  load_balancer_arn = aws_lb.this.arn
  port              = local.https ? 443 : 80
  protocol          = local.https ? "HTTPS" : "HTTP"
  certificate_arn   = local.https ? var.certificate_arn : null
  tags              = var.tags

  default_action {
    type = "forward"
    forward {
      target_group {
        arn    = aws_lb_target_group.color["blue"].arn
        weight = 100
      }
      target_group {
        arn    = aws_lb_target_group.color["green"].arn
        weight = 0
      }
    }
  }

  lifecycle {
    ignore_changes = [default_action]
  }
}

resource "aws_launch_template" "app" {
  name_prefix            = "${var.name}-"
  image_id               = var.ami_id
  instance_type          = var.instance_type
  vpc_security_group_ids = [aws_security_group.instances.id]
  tags                   = var.tags

  iam_instance_profile {
    name = aws_iam_instance_profile.instances.name
  }
  metadata_options {
    http_tokens = "required"
  }
}

resource "aws_autoscaling_group" "color" {
  for_each                  = local.colors
  name                      = "${var.name}-${each.key}"
  min_size                  = each.key == "blue" ? var.capacity : 0
  max_size                  = var.capacity_max
  desired_capacity          = each.key == "blue" ? var.capacity : 0
  vpc_zone_identifier       = var.private_subnet_ids
  target_group_arns         = [aws_lb_target_group.color[each.key].arn]
  health_check_type         = "ELB"
  health_check_grace_period = 120

  launch_template {
    id      = aws_launch_template.app.id
    version = "$Latest"
  }

  dynamic "tag" {
    for_each = merge(var.tags, { "cutover:color" = each.key })
    content {
      key                 = tag.key
      value               = tag.value
      propagate_at_launch = true
    }
  }

  lifecycle {
    ignore_changes = [min_size, max_size, desired_capacity]
  }
}

resource "aws_codedeploy_app" "this" {
  name             = var.name
  compute_platform = "Server"
  tags             = var.tags
}

resource "aws_codedeploy_deployment_group" "color" {
  for_each               = local.colors
  app_name               = aws_codedeploy_app.this.name
  deployment_group_name  = "${var.name}-${each.key}"
  service_role_arn       = aws_iam_role.codedeploy.arn
  autoscaling_groups     = [aws_autoscaling_group.color[each.key].name]
  deployment_config_name = "CodeDeployDefault.OneAtATime"
  tags                   = var.tags

  auto_rollback_configuration {
    enabled = true
    events  = ["DEPLOYMENT_FAILURE"]
  }
}

resource "aws_s3_bucket" "releases" {
  bucket_prefix = "${var.name}-releases-"
  tags          = var.tags
}

resource "aws_s3_bucket_public_access_block" "releases" {
  bucket                  = aws_s3_bucket.releases.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "releases" {
  bucket = aws_s3_bucket.releases.id
  versioning_configuration {
    status = "Enabled"
  }
}

# The shop's uploads, shared by both colors. Versioned: a buggy release that
# overwrites or deletes media cannot destroy them; an older version stays
# for var.noncurrent_version_days.
resource "aws_s3_bucket" "media" {
  bucket_prefix = "${var.name}-media-"
  tags          = var.tags
}

resource "aws_s3_bucket_public_access_block" "media" {
  bucket                  = aws_s3_bucket.media.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "media" {
  bucket = aws_s3_bucket.media.id
  versioning_configuration {
    status = "Enabled"
  }
}

# Both buckets keep every current object; replaced and deleted versions go
# after var.noncurrent_version_days, unfinished uploads after a week.
resource "aws_s3_bucket_lifecycle_configuration" "kept" {
  for_each = { releases = aws_s3_bucket.releases.id, media = aws_s3_bucket.media.id }
  bucket   = each.value

  rule {
    id     = "noncurrent-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
  depends_on = [aws_s3_bucket_versioning.releases, aws_s3_bucket_versioning.media]
}
