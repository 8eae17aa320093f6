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

variable "lxd_members" {
  description = "LXD cluster member names."
  type        = list(string)
  default     = ["lxd1", "lxd2", "lxd3"]
}

variable "member_pool_size" {
  description = "Size of the k8s-vms zfs pool on each member."
  type        = string
  default     = "200GiB"
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
