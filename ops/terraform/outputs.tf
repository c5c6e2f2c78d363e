# outputs.tf - what cutover's environment file needs (see
# example-environment.json.tftpl) and what operators attach.

output "listener_arn" {
  value = aws_lb_listener.this.arn
}

output "target_group_arns" {
  value = { for c, tg in aws_lb_target_group.color : c => tg.arn }
}

output "auto_scaling_group_names" {
  value = { for c, g in aws_autoscaling_group.color : c => g.name }
}

output "codedeploy_application" {
  value = aws_codedeploy_app.this.name
}

output "codedeploy_deployment_groups" {
  value = { for c, g in aws_codedeploy_deployment_group.color : c => g.deployment_group_name }
}

output "releases_bucket" {
  value = aws_s3_bucket.releases.bucket
}

output "media_bucket" {
  value = aws_s3_bucket.media.bucket
}

output "load_balancer_dns_name" {
  value = aws_lb.this.dns_name
}

output "cutover_policy_arn" {
  description = "Attach to the role or user cutover's workers run as."
  value       = aws_iam_policy.cutover.arn
}

output "environment" {
  description = "cutover's environment document for this topology (cutover env apply)."
  value = templatefile("${path.module}/example-environment.json.tftpl", {
    name              = var.name
    region            = local.region
    listener_arn      = aws_lb_listener.this.arn
    target_groups     = { for c, tg in aws_lb_target_group.color : c => tg.arn }
    groups            = { for c, g in aws_autoscaling_group.color : c => g.name }
    application       = aws_codedeploy_app.this.name
    deployment_groups = { for c, g in aws_codedeploy_deployment_group.color : c => g.deployment_group_name }
    preview_header    = var.preview_header
    preview_priority  = var.preview_priority
    capacity          = var.capacity
    capacity_max      = var.capacity_max
    cloudfront        = var.cloudfront_distribution_id == "" ? null : { distribution_id = var.cloudfront_distribution_id, paths = var.cloudfront_paths }
  })
}

output "load_balancer_arn" {
  description = "Associate a WAF web ACL with it (aws_wafv2_web_acl_association)."
  value       = aws_lb.this.arn
}

output "access_logs_bucket" {
  description = "Where the load balancer writes its access logs (prefix alb/); empty when off."
  value       = var.access_logs ? local.access_logs_bucket : ""
}
