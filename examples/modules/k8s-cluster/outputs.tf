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

output "kubeconfig" {
  description = "Admin kubeconfig of the workload cluster."
  value       = k8s_cluster.this.kubeconfig
  sensitive   = true
}

output "pools" {
  description = "Ready replicas per pool."
  value       = { for k, p in k8s_machine_pool.this : k => p.ready_replicas }
}
