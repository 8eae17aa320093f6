output "prod_endpoint" {
  value = module.prod.endpoint
}

output "staging_endpoint" {
  value = module.staging.endpoint
}

output "prod_kubeconfig" {
  value     = module.prod.kubeconfig
  sensitive = true
}

output "staging_kubeconfig" {
  value     = module.staging.kubeconfig
  sensitive = true
}
