# logs.tf - the load balancer's access logs: a bucket of the module's own
# (unless var.access_logs_bucket names one), private, encrypted with S3's
# keys (the only encryption ELB log delivery accepts), logs kept for
# var.access_logs_days. var.access_logs = false turns them off.

locals {
  own_logs_bucket    = var.access_logs && var.access_logs_bucket == ""
  access_logs_bucket = var.access_logs_bucket != "" ? var.access_logs_bucket : try(aws_s3_bucket.logs[0].id, "")
}

resource "aws_s3_bucket" "logs" {
  count         = local.own_logs_bucket ? 1 : 0
  bucket_prefix = "${var.name}-logs-"
  tags          = var.tags
}

resource "aws_s3_bucket_public_access_block" "logs" {
  count                   = local.own_logs_bucket ? 1 : 0
  bucket                  = aws_s3_bucket.logs[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "logs" {
  count  = local.own_logs_bucket ? 1 : 0
  bucket = aws_s3_bucket.logs[0].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  count  = local.own_logs_bucket ? 1 : 0
  bucket = aws_s3_bucket.logs[0].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "logs" {
  count  = local.own_logs_bucket ? 1 : 0
  bucket = aws_s3_bucket.logs[0].id

  rule {
    id     = "expire-logs"
    status = "Enabled"
    filter {}
    expiration {
      days = var.access_logs_days
    }
    noncurrent_version_expiration {
      noncurrent_days = 1
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
  depends_on = [aws_s3_bucket_versioning.logs]
}

# ELB writes the logs as its log delivery service, into this account's
# prefix only.
data "aws_iam_policy_document" "logs" {
  count = local.own_logs_bucket ? 1 : 0
  statement {
    sid       = "LoadBalancerLogDelivery"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.logs[0].arn}/alb/AWSLogs/${local.account}/*"]
    principals {
      type        = "Service"
      identifiers = ["logdelivery.elasticloadbalancing.amazonaws.com"]
    }
  }
  statement {
    sid       = "DenyPlainHttp"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.logs[0].arn, "${aws_s3_bucket.logs[0].arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "logs" {
  count      = local.own_logs_bucket ? 1 : 0
  bucket     = aws_s3_bucket.logs[0].id
  policy     = data.aws_iam_policy_document.logs[0].json
  depends_on = [aws_s3_bucket_public_access_block.logs]
}
