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

locals {
  colors = toset(["blue", "green"])
  https  = var.certificate_arn != ""
}

resource "aws_security_group" "alb" {
  name_prefix = "${var.name}-alb-"
  vpc_id      = var.vpc_id
  tags        = var.tags

  ingress {
    from_port   = local.https ? 443 : 80
    to_port     = local.https ? 443 : 80
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_security_group" "instances" {
  name_prefix = "${var.name}-app-"
  vpc_id      = var.vpc_id
  tags        = var.tags

  ingress {
    from_port       = 80
    to_port         = 80
    protocol        = "tcp"
    security_groups = [aws_security_group.alb.id]
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_lb" "this" {
  name               = "${var.name}-alb"
  load_balancer_type = "application"
  subnets            = var.public_subnet_ids
  security_groups    = [aws_security_group.alb.id]
  tags               = var.tags
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
