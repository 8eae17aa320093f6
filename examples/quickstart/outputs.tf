output "pools" {
  description = "The pools Terraform manages, with their status and locations."
  value = {
    for p in [lxd_storage_pool.scratch, lxd_storage_pool.data] :
    p.name => {
      driver    = p.driver
      status    = p.status
      locations = p.locations
    }
  }
}
