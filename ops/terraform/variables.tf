# variables.tf - inputs of the cutover AWS module.

variable "name" {
  description = "Environment name; prefixes every resource (lower case, digits, dashes)."
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,20}$", var.name))
    error_message = "name: lower case letters, digits and dashes, at most 21 characters (target group names are limited to 32)."
  }
}

variable "vpc_id" {
  description = "VPC of the load balancer and the instances."
  type        = string
}

variable "public_subnet_ids" {
  description = "Subnets of the Application Load Balancer (two availability zones or more)."
  type        = list(string)
}

variable "private_subnet_ids" {
  description = "Subnets of the instances."
  type        = list(string)
}

variable "ami_id" {
  description = "Image of the instances; must run the CodeDeploy agent."
  type        = string
}

variable "instance_type" {
  description = "Instance type of both colors."
  type        = string
  default     = "t3.small"
}

variable "capacity" {
  description = "Instances of the live color at creation; cutover owns desired capacity afterwards."
  type        = number
  default     = 2
}

variable "capacity_max" {
  description = "The largest capacity cutover may ask for (aws.capacity.max)."
  type        = number
  default     = 8
}

variable "health_check_path" {
  description = "Path of the target groups' health check."
  type        = string
  default     = "/health"
}

variable "certificate_arn" {
  description = "ACM certificate for an HTTPS listener; empty: HTTP on port 80."
  type        = string
  default     = ""
}

variable "preview_header" {
  description = "Header that sends a request to the color it names during validation."
  type        = string
  default     = "X-Cutover-Preview"
}

variable "preview_priority" {
  description = "Listener rule priority of cutover's preview rule."
  type        = number
  default     = 10
}

variable "cloudfront_distribution_id" {
  description = "CloudFront distribution in front of the load balancer, invalidated before traffic first moves to a new color; empty: none."
  type        = string
  default     = ""
}

variable "cloudfront_paths" {
  description = "Paths of the distribution to invalidate (aws.cloudfront.paths)."
  type        = list(string)
  default     = ["/*"]
}

variable "tags" {
  description = "Tags of every resource."
  type        = map(string)
  default     = {}
}

variable "instance_egress_ports" {
  description = "TCP ports the instances may reach on the internet (inside the VPC everything is open)."
  type        = list(number)
  default     = [443]
}

variable "deletion_protection" {
  description = "The load balancer cannot be deleted until this is false (set it false, apply, then destroy)."
  type        = bool
  default     = true
}

variable "access_logs" {
  description = "The load balancer writes access logs to S3 (var.access_logs_bucket, else a bucket of the module)."
  type        = bool
  default     = true
}

variable "access_logs_bucket" {
  description = "An existing bucket for the load balancer's access logs (its policy must let ELB write); empty: the module creates one."
  type        = string
  default     = ""
}

variable "access_logs_days" {
  description = "Days the module's own log bucket keeps access logs."
  type        = number
  default     = 90
}

variable "noncurrent_version_days" {
  description = "Days a replaced or deleted version of a release bundle or an upload is kept."
  type        = number
  default     = 30
}
