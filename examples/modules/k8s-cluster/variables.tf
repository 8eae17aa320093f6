variable "name" {
  description = "Cluster name (a DNS label)."
  type        = string
}

variable "namespace" {
  description = "Namespace on the management cluster; null uses the provider's default."
  type        = string
  default     = null
}

variable "kubernetes_version" {
  description = "Kubernetes version of the control plane and (unless a pool overrides it) the pools."
  type        = string
}

variable "workers_kubernetes_version" {
  description = "Version of the pools that do not pin one; null follows kubernetes_version. Upgrade the control plane first (one apply), then the workers: a pool newer than the control plane is rejected at plan time."
  type        = string
  default     = null
}

variable "control_plane" {
  description = "Control-plane machines."
  type = object({
    replicas      = optional(number, 1)
    instance_type = optional(string, "virtual-machine")
    flavor        = optional(string)
    profiles      = optional(list(string))
    image         = optional(string)
    target        = optional(string)
  })
  default = {}
}

variable "load_balancer" {
  description = "lxc, ovn or external."
  type        = string
  default     = "lxc"
}

variable "load_balancer_network" {
  description = "OVN network name for load_balancer = \"ovn\"."
  type        = string
  default     = null
}

variable "control_plane_host" {
  description = "Fixed control-plane address (external, optionally ovn)."
  type        = string
  default     = null
}

variable "pod_cidrs" {
  type    = list(string)
  default = ["10.244.0.0/16"]
}

variable "service_cidrs" {
  type    = list(string)
  default = ["10.96.0.0/12"]
}

variable "lxd_identity" {
  description = "LXD credentials CAPN uses (stored in a Secret this module creates). Null when identity_secret is set."
  type = object({
    server_url         = string
    server_certificate = optional(string)
    client_certificate = string
    client_key         = string
    project            = optional(string, "default")
  })
  default   = null
  sensitive = true
}

variable "identity_secret" {
  description = "Name of an existing identity Secret instead of lxd_identity."
  type        = string
  default     = null
}

variable "pools" {
  description = "Worker pools by name."
  type = map(object({
    replicas           = optional(number)
    autoscaler_min     = optional(number)
    autoscaler_max     = optional(number)
    kubernetes_version = optional(string)
    instance_type      = optional(string, "virtual-machine")
    flavor             = optional(string)
    profiles           = optional(list(string))
    image              = optional(string)
    target             = optional(string)
    labels             = optional(map(string))
    taints = optional(list(object({
      key    = string
      value  = optional(string)
      effect = string
    })), [])
    rollout_strategy = optional(string, "RollingUpdate")
  }))
  default = {}
}

variable "timeouts" {
  description = "Waits of the cluster and its pools."
  type = object({
    create = optional(string, "30m")
    update = optional(string, "30m")
    delete = optional(string, "30m")
  })
  default = {}
}
