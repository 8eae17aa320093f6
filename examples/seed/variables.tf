variable "lxd_address" {
  description = "HTTPS URL of an LXD cluster member (also given to CAPN)."
  type        = string
  default     = "https://192.0.2.10:8443"
}

variable "lxd_server_certificate" {
  description = "PEM certificate of the LXD cluster."
  type        = string
  default     = null
}

variable "lxd_client_certificate" {
  description = "Client certificate Terraform uses for LXD."
  type        = string
  default     = null
}

variable "lxd_client_key" {
  type      = string
  default   = null
  sensitive = true
}

variable "capn_client_certificate" {
  description = "Client certificate CAPN uses for LXD (trusted by the LXD cluster, ideally restricted to a project)."
  type        = string
}

variable "capn_client_key" {
  type      = string
  sensitive = true
}

variable "joining_members" {
  description = "Standalone LXD servers to join to the cluster (see ../modules/lxd-cluster); empty when all members are already clustered."
  type        = any
  default     = {}
}

variable "join_secrets" {
  description = "client_key / password per joining member (see ../modules/lxd-cluster)."
  type        = map(object({ client_key = optional(string), password = optional(string) }))
  default     = {}
  sensitive   = true
}

variable "pool_sources" {
  description = "Source of the k8s-vms storage pool per member name (existing and joining members); members without one get LXD's default."
  type        = map(string)
  default     = {}
}

variable "ovn_uplink" {
  description = "Uplink network of the OVN networks."
  type        = string
  default     = "UPLINK"
}

variable "management_kubeconfig" {
  description = "kubeconfig of the Cluster API management cluster (Cluster API >= 1.11 and CAPN installed)."
  type        = string
  default     = "~/.kube/config"
}

variable "prod_kubernetes_version" {
  type    = string
  default = "v1.33.1"
}

variable "staging_kubernetes_version" {
  type    = string
  default = "v1.34.0"
}
