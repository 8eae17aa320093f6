output "prod_endpoint" {
  value = module.prod.endpoint
}

output "staging_endpoint" {
  value = module.staging.endpoint
}

# The clusters' admin kubeconfigs are not outputs: they are never stored.
# Use module.<x>.kubeconfig (ephemeral) in provider blocks, or run
# `kubectl get secret prod-kubeconfig -o jsonpath='{.data.value}' | base64 -d`
# against the management cluster.
