output "name" {
  value = k8s_cluster.this.name
}

output "namespace" {
  value = k8s_cluster.this.namespace
}

output "endpoint" {
  description = "Control-plane endpoint (https://host:port)."
  value       = k8s_cluster.this.endpoint
}

# Ephemeral: usable in provider blocks and other ephemeral contexts of the
# caller, never stored in its plan or state (Terraform >= 1.10).
output "kubeconfig" {
  description = "Admin kubeconfig of the workload cluster (ephemeral)."
  value       = ephemeral.k8s_cluster_kubeconfig.this.kubeconfig
  ephemeral   = true
}

output "pools" {
  description = "Ready replicas per pool."
  value       = { for k, p in k8s_machine_pool.this : k => p.ready_replicas }
}
