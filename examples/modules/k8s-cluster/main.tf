# One Kubernetes cluster on LXD (Cluster API + CAPN) with its worker pools.

resource "k8s_cluster" "this" {
  name                   = var.name
  namespace              = var.namespace
  kubernetes_version     = var.kubernetes_version
  control_plane_replicas = var.control_plane.replicas

  instance_type = var.control_plane.instance_type
  flavor        = var.control_plane.flavor
  profiles      = var.control_plane.profiles
  image         = var.control_plane.image
  target        = var.control_plane.target

  pod_cidrs             = var.pod_cidrs
  service_cidrs         = var.service_cidrs
  load_balancer         = var.load_balancer
  load_balancer_network = var.load_balancer_network
  control_plane_host    = var.control_plane_host

  identity_secret        = var.identity_secret
  lxd_server_url         = try(var.lxd_identity.server_url, null)
  lxd_server_certificate = try(var.lxd_identity.server_certificate, null)
  lxd_client_certificate = try(var.lxd_identity.client_certificate, null)
  lxd_client_key         = try(var.lxd_identity.client_key, null)
  lxd_project            = try(var.lxd_identity.project, null)

  timeouts {
    create = var.timeouts.create
    update = var.timeouts.update
    delete = var.timeouts.delete
  }
}

# The admin kubeconfig, read on demand and never stored (see the
# k8s_cluster_kubeconfig docs; before the cluster exists it is unknown).
ephemeral "k8s_cluster_kubeconfig" "this" {
  name      = k8s_cluster.this.name
  namespace = k8s_cluster.this.namespace
}

resource "k8s_machine_pool" "this" {
  for_each = var.pools

  name         = each.key
  namespace    = k8s_cluster.this.namespace
  cluster_name = k8s_cluster.this.name
  # The provider rejects a pool newer than the live control plane at plan
  # time: upgrade kubernetes_version, apply, then workers_kubernetes_version.
  kubernetes_version = coalesce(each.value.kubernetes_version, var.workers_kubernetes_version, var.kubernetes_version)

  replicas       = each.value.replicas
  autoscaler_min = each.value.autoscaler_min
  autoscaler_max = each.value.autoscaler_max

  instance_type = each.value.instance_type
  flavor        = each.value.flavor
  profiles      = each.value.profiles
  image         = each.value.image
  target        = each.value.target
  labels        = each.value.labels

  taints = each.value.taints

  rollout_strategy = each.value.rollout_strategy

  timeouts {
    create = var.timeouts.create
    update = var.timeouts.update
    delete = var.timeouts.delete
  }
}
